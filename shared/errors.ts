/**
 * Stable, machine-readable reason codes. They appear in quarantine keys
 * (`quarantine/<reason>/…`), quarantine bodies and log lines, so renaming one
 * is a breaking change for anyone querying them.
 */
export const REASON_CODES = [
  'EMPTY_RECORD',
  'MALFORMED_JSON',
  /** JSON nested deeper than MAX_JSON_DEPTH (shared/json-depth.ts). */
  'JSON_TOO_DEEP',
  'UNKNOWN_SOURCE',
  'SCHEMA_VIOLATION',
  'MISSING_CLIENT_ID',
  'INVALID_EVENT_TIME',
  'EVENT_TIME_OUT_OF_RANGE',
  'RECORD_TOO_LARGE',
  'PAYLOAD_TOO_LARGE',
  'INVALID_TRANSACTION_ID',
  'INVALID_METER_VALUE',
  'INVALID_IDENTIFIER',
  'RESERVED_ID',
  /** A KPL-aggregated Kinesis record whose checksum or protobuf does not decode: quarantined whole. */
  'INVALID_AGGREGATE',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** Codes for failures that are retried (the record is reported to Kinesis), never quarantined. */
export type RetryableCode =
  | 'DELIVERY_FAILED'
  | 'IDEMPOTENCY_UNAVAILABLE'
  | 'QUARANTINE_UNAVAILABLE'
  /** Not enough of the invocation left to finish the calls safely: Kinesis retries the record. */
  | 'INVOCATION_DEADLINE';

export class PipelineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The record itself is bad: retrying cannot help, so it goes to the quarantine. */
export class InvalidRecordError extends PipelineError {
  readonly reason: ReasonCode;
  /** The adapter that claimed the record, when one did (for per-source counts). */
  source?: string;
  constructor(reason: ReasonCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** A dependency failed: the record is reported in batchItemFailures so Kinesis retries it. */
export class RetryableError extends PipelineError {
  readonly code: RetryableCode;
  constructor(code: RetryableCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export class ConfigError extends PipelineError {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(message);
    this.variable = variable;
  }
}

export const isInvalidRecordError = (error: unknown): error is InvalidRecordError =>
  error instanceof InvalidRecordError;

/** Narrows a caught `unknown` to an Error without losing non-Error throws. */
export const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
