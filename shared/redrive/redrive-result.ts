export type RedriveMode = 'errors' | 'quarantine';

export interface SkippedObject {
  key: string;
  reason: string;
}

export interface RedriveResult {
  mode: RedriveMode;
  dryRun: boolean;
  bucket: string;
  /** The delivery stream (errors) or Kinesis stream (quarantine) records were put into. */
  target: string;
  /** The prefixes that were listed, e.g. `errors/partitioning-failed/`. */
  sources: string[];
  /** Where re-driven objects went, e.g. `redriven/errors/`. */
  movedTo: string;
  /** Objects found under the sources. */
  found: number;
  /** Objects re-driven and moved (in a dry run: that would be). */
  objects: number;
  /** Records put (in a dry run: that would be), interrupted objects included. */
  records: number;
  /** Records by error output type (errors) or reason code (quarantine). */
  byType: Record<string, number>;
  /** Objects left in place because they could not be read as records. */
  skipped: SkippedObject[];
  /** Stopped by the abort signal: what is counted is done, the rest is still in place. */
  interrupted: boolean;
}

export type RedriveLog = (line: string) => void;

export const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

export const emptyResult = (
  fields: Pick<RedriveResult, 'mode' | 'dryRun' | 'bucket' | 'target' | 'sources' | 'movedTo'>,
): RedriveResult => ({
  ...fields,
  found: 0,
  objects: 0,
  records: 0,
  byType: {},
  skipped: [],
  interrupted: false,
});

export const countRecords = (result: RedriveResult, type: string, records: number): void => {
  result.records += records;
  result.byType[type] = (result.byType[type] ?? 0) + records;
};

/** Resolves after `ms`, or as soon as the signal aborts (a wave wait must not delay Ctrl-C). */
export const waitUnlessAborted = (
  ms: number,
  signal: AbortSignal | undefined,
  sleep?: (ms: number) => Promise<void>,
): Promise<void> => {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
    if (sleep) sleep(ms).then(done, done);
    else timer = setTimeout(done, ms);
  });
};
