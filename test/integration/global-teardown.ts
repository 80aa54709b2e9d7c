export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.pipelineTestStops ?? []).map((stop) => stop()));
}
