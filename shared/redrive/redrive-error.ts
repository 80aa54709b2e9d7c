import { toError } from '../errors';

/** A failure the CLI reports as one line and exit 1 (an AWS call that failed, records Firehose kept refusing). */
export class RedriveError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RedriveError';
  }
}

/** The error's name and first line: AWS messages are one line, but a stray stack must not reach the terminal. */
export const describeError = (caught: unknown): string => {
  // Read structurally: Node's own errors can come from another realm (jest), failing instanceof.
  const fields = typeof caught === 'object' && caught !== null ? (caught as { name?: unknown; message?: unknown }) : {};
  const error =
    typeof fields.message === 'string'
      ? { name: String(fields.name ?? 'Error'), message: fields.message }
      : toError(caught);
  const message = (error.message.split('\n')[0] ?? '').trim();
  return message && message !== error.name ? `${error.name}: ${message}` : error.name;
};

/** Runs one AWS call; a failure becomes a RedriveError naming the call (`GetObject s3://b/k failed: NoSuchKey: …`). */
export const awsCall = async <T>(call: string, run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (caught) {
    throw new RedriveError(`${call} failed: ${describeError(caught)}`, { cause: caught });
  }
};
