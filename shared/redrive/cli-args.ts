import { parseArgs } from 'node:util';
import { REASON_CODES, type ReasonCode } from '../errors';
import { ERROR_OUTPUT_TYPES, type ErrorOutputType, isErrorOutputType } from './error-records';
import { DEFAULT_MAX_PARTITIONS } from './waves';

export const REDRIVE_USAGE = `Usage: npm run redrive -- errors [options]
       npm run redrive -- quarantine --reason CODE [options]

Puts records back into the pipeline and moves each object it re-drove to
s3://<bucket>/redriven/<original key> (never deletes one). Safe to interrupt (Ctrl-C):
run the same command again to continue.

  errors       Firehose error outputs (errors/<type>/…) back into the delivery stream
               with PutRecordBatch; the transformer sees the records again.
  quarantine   quarantined records of one reason (quarantine/<CODE>/…) back into the
               Kinesis stream with their partition key; the consumer deduplicates.

Options:
  --dry-run              change nothing; report what would be re-driven
  --json                 end stdout with one JSON line: the run's counts
  --stage S              serverless.yml stage the names come from (default dev;
                         the local stack of npm start -- --keep-running is local)
  --type T               errors: only partitioning-failed or processing-failed
  --reason CODE          quarantine: the reason code (${REASON_CODES.join(', ')})
  --max-partitions N     errors: distinct partitions per wave (default ${DEFAULT_MAX_PARTITIONS})
  --wave-seconds S       errors: wait between waves (default: Firehose buffer interval
                         + processor buffer interval + 5)
  --bucket B             override the lake bucket
  --delivery-stream D    errors: override the delivery stream
  --stream K             quarantine: override the Kinesis stream
  -h, --help             show this help

AWS credentials and region come from the usual chain (AWS_REGION, else the stage's
region); AWS_ENDPOINT_URL_<SERVICE> points it at local servers.
Exit codes: 0 done (or nothing to do), 1 an AWS call or a record failed, 2 bad usage,
130 interrupted.`;

/** Bad flags or values: one line on stderr, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface CommonArgs {
  dryRun: boolean;
  json: boolean;
  stage: string;
  bucket?: string;
}

export type RedriveCommand =
  | { mode: 'help' }
  | (CommonArgs & {
      mode: 'errors';
      types: ErrorOutputType[];
      deliveryStream?: string;
      maxPartitions: number;
      /** Unset: derived from the stage's Firehose buffering. */
      waveSeconds?: number;
    })
  | (CommonArgs & { mode: 'quarantine'; reason: ReasonCode; stream?: string });

const OPTIONS = {
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  stage: { type: 'string' },
  type: { type: 'string' },
  reason: { type: 'string' },
  'max-partitions': { type: 'string' },
  'wave-seconds': { type: 'string' },
  bucket: { type: 'string' },
  'delivery-stream': { type: 'string' },
  stream: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ERRORS_ONLY = ['type', 'max-partitions', 'wave-seconds', 'delivery-stream'] as const;
const QUARANTINE_ONLY = ['reason', 'stream'] as const;

// parseArgs explains how to pass a positional that starts with '-'; the first sentence is the error.
const firstSentence = (message: string): string => (message.split(/\.\s/)[0] ?? message).replace(/\.$/, '');

const nonEmpty = (name: string, value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`--${name} must not be empty`);
  return value.trim();
};

export const parseRedriveArgs = (argv: readonly string[]): RedriveCommand => {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (caught) {
    // Node's own errors may come from another realm (jest), so no instanceof.
    const message = (caught as { message?: unknown } | null)?.message;
    throw new UsageError(firstSentence(typeof message === 'string' ? message : String(caught)));
  }
  const { values, positionals } = parsed;
  if (values.help) return { mode: 'help' };
  const [mode, ...extra] = positionals;
  if (mode === undefined) throw new UsageError('missing mode: errors or quarantine (--help for usage)');
  if (mode !== 'errors' && mode !== 'quarantine') throw new UsageError(`unknown mode "${mode}": errors or quarantine`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const misplaced = (mode === 'errors' ? QUARANTINE_ONLY : ERRORS_ONLY).find((name) => values[name] !== undefined);
  if (misplaced !== undefined) throw new UsageError(`--${misplaced} does not apply to ${mode}`);

  const bucket = nonEmpty('bucket', values.bucket);
  const common: CommonArgs = {
    dryRun: values['dry-run'] ?? false,
    json: values.json ?? false,
    stage: nonEmpty('stage', values.stage) ?? 'dev',
    ...(bucket !== undefined && { bucket }),
  };

  if (mode === 'quarantine') {
    const reason = values.reason;
    if (reason === undefined) throw new UsageError('quarantine needs --reason CODE');
    if (!(REASON_CODES as readonly string[]).includes(reason)) {
      throw new UsageError(`unknown reason code "${reason}" (one of ${REASON_CODES.join(', ')})`);
    }
    const stream = nonEmpty('stream', values.stream);
    return { ...common, mode, reason: reason as ReasonCode, ...(stream !== undefined && { stream }) };
  }

  const type = values.type;
  if (type !== undefined && !isErrorOutputType(type)) {
    throw new UsageError(`unknown --type "${type}": ${ERROR_OUTPUT_TYPES.join(' or ')}`);
  }
  const rawPartitions = values['max-partitions'];
  const maxPartitions = rawPartitions === undefined ? DEFAULT_MAX_PARTITIONS : Number(rawPartitions);
  if (!Number.isSafeInteger(maxPartitions) || maxPartitions < 1 || !/^\s*\d+\s*$/.test(rawPartitions ?? '1')) {
    throw new UsageError(`--max-partitions must be a positive integer, got "${rawPartitions}"`);
  }
  const rawWave = values['wave-seconds'];
  const waveSeconds = rawWave === undefined ? undefined : Number(rawWave);
  if (waveSeconds !== undefined && (rawWave?.trim() === '' || !Number.isFinite(waveSeconds) || waveSeconds < 0)) {
    throw new UsageError(`--wave-seconds must be a number of seconds ≥ 0, got "${rawWave}"`);
  }
  const deliveryStream = nonEmpty('delivery-stream', values['delivery-stream']);
  return {
    ...common,
    mode,
    types: type === undefined ? [...ERROR_OUTPUT_TYPES] : [type],
    maxPartitions,
    ...(waveSeconds !== undefined && { waveSeconds }),
    ...(deliveryStream !== undefined && { deliveryStream }),
  };
};
