/**
 * The LocalStack backend (Kinesis, DynamoDB, S3) through testcontainers, for machines with
 * a Docker engine. PIPELINE_TEST_BACKEND=embedded turns it off; =localstack makes a missing
 * engine an error instead of a skip; unset (auto) uses it when an engine answers.
 */
export const LOCALSTACK_IMAGE = 'localstack/localstack:3.8';

export interface LocalStackBackend {
  endpoint: string;
  stop: () => Promise<void>;
}

export const startLocalStackBackend = async (): Promise<LocalStackBackend | undefined> => {
  const mode = process.env.PIPELINE_TEST_BACKEND ?? 'auto';
  if (mode === 'embedded') return undefined;
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    if (mode === 'localstack')
      throw new Error(`PIPELINE_TEST_BACKEND=localstack but no Docker engine: ${(error as Error).message}`);
    process.stdout.write(`\nLocalStack backend skipped: no Docker engine (${(error as Error).message}).\n`);
    return undefined;
  }
  const { LocalstackContainer } = await import('@testcontainers/localstack');
  const container = await new LocalstackContainer(LOCALSTACK_IMAGE)
    .withEnvironment({ SERVICES: 'kinesis,dynamodb,s3' })
    .start();
  return { endpoint: container.getConnectionUri(), stop: async () => void (await container.stop()) };
};
