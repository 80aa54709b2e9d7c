import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createKinesisClient } from '../aws/kinesis-client';
import type { Env } from '../config';
import { InvalidRecordError, toError } from '../errors';
import { assertTimeInWindow } from '../event-time';
import { assertAcceptableIds } from '../identifier';
import { exceedsJsonDepth, jsonTooDeepMessage } from '../json-depth';
import { HTTP_API_CHANNEL, INGEST_FIELD } from '../sources';
import { clientEventAdapter, parseClientEventEntry, toClientEventRecord } from '../sources/client-event';
import { productActionAdapter } from '../sources/product-action';
import type { SourceAdapter } from '../sources/source-adapter';
import { usageMeterAdapter } from '../sources/usage-meter';
import type { HttpIngestConfig } from './http-ingest-config';
import { parseJsonBody, RequestRejected, readBody, requireMediaType } from './http-request';
import { KinesisStreamWriter, type StreamRecordInput, type WriteOutcome } from './stream-writer';

/**
 * The default authorizer claim that names the caller's client, the only source of the clientId
 * (config `clientIdClaim`, env CLIENT_ID_CLAIM, read once at cold start).
 */
export { CLIENT_ID_CLAIM } from './http-ingest-config';

/** Kinesis partition keys are at most 256 characters. */
const MAX_CLIENT_ID_LENGTH = 256;

export type IngestEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type IngestResult = APIGatewayProxyStructuredResultV2;

/** One line of the response, as EventBridge PutEvents answers. */
export type ResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: ResultEntry[];
}

export interface RecordWriter {
  write(records: readonly StreamRecordInput[]): Promise<WriteOutcome[]>;
}

export interface HttpIngestDependencies {
  writer: RecordWriter;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  now?: () => Date;
  newId?: () => string;
}

/** An entry refused before it reaches the stream; the request as a whole still succeeds. */
class EntryRejected extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface EntryContext {
  clientId: string;
  receivedAt: Date;
  newId: () => string;
}

/** A valid entry: what goes on the stream and the id the caller gets back. */
interface PreparedEntry {
  eventId: string;
  payload: Record<string, unknown>;
}

interface Route {
  mediaTypes: readonly string[];
  maxEntries: (config: HttpIngestConfig) => number;
  /** Splits the body into entries; throws RequestRejected when the body has the wrong shape. */
  entries: (text: string, mediaType: string) => unknown[];
  /** The stream payload of one entry; throws EntryRejected or InvalidRecordError. */
  prepare: (entry: unknown, context: EntryContext) => PreparedEntry;
  /** The adapter the consumer will run on the payload. */
  adapter: SourceAdapter;
}

const JSON_TYPE = 'application/json';
const NDJSON_TYPE = 'application/x-ndjson';

/** `SCHEMA_VIOLATION` → `SchemaViolation`: the pipeline's reason codes in PutEvents' style. */
export const errorCodeOf = (reason: string): string =>
  reason
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const describe = (value: unknown): string => {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
};

/** `{"entries":[{"entry":"<escaped JSON>"}, …]}` */
const eventsEntries = (text: string): unknown[] => {
  const body = parseJsonBody(text);
  if (!isObject(body) || !Array.isArray(body.entries)) {
    throw new RequestRejected(
      400,
      'InvalidRequest',
      'Request body must be {"entries":[{"entry":"<escaped JSON>"}, …]}',
    );
  }
  // The client id comes from the token only: a body's own (clientId or any other key) is refused, not ignored.
  const unknown = Object.keys(body).filter((key) => key !== 'entries');
  if (unknown.length > 0) {
    throw new RequestRejected(
      400,
      'InvalidRequest',
      `Request body has unknown keys: ${unknown
        .slice(0, 5)
        .map((key) => JSON.stringify(key.slice(0, 64)))
        .join(', ')}; it must be {"entries":[…]} (the client id comes from the token)`,
    );
  }
  return body.entries;
};

/** One object, or an array of them (JSON), or one object per line (NDJSON). */
const batchEntries = (text: string, mediaType: string): unknown[] => {
  if (mediaType === NDJSON_TYPE) {
    return text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .map((line, index) => {
        if (exceedsJsonDepth(line)) return new EntryRejected('JsonTooDeep', jsonTooDeepMessage(`Line ${index + 1}`));
        try {
          return JSON.parse(line) as unknown;
        } catch (error) {
          return new EntryRejected('MalformedJson', `Line ${index + 1} is not valid JSON: ${(error as Error).message}`);
        }
      });
  }
  const body = parseJsonBody(text);
  if (Array.isArray(body)) return body;
  if (isObject(body)) return [body];
  throw new RequestRejected(
    400,
    'InvalidRequest',
    `Request body must be an object or an array of objects, not ${describe(body)}`,
  );
};

const prepareClientEvent = (item: unknown, context: EntryContext): PreparedEntry => {
  if (!isObject(item) || typeof item.entry !== 'string') {
    const got = isObject(item) ? `entry is ${describe(item.entry)}` : `the item is ${describe(item)}`;
    throw new EntryRejected('SchemaViolation', `Each item must be {"entry":"<escaped JSON>"}; ${got}`);
  }
  const entry = parseClientEventEntry(item.entry);
  const record = toClientEventRecord(entry, context.clientId, context.newId(), context.receivedAt);
  return { eventId: record.id, payload: record as unknown as Record<string, unknown> };
};

/**
 * Actions and meters name their client in the body (`company_id`, `customerId`): it must be
 * the caller's, and is filled in when absent, so a client can never write as another.
 */
const prepareOwned =
  (ownerField: string, kind: string) =>
  (item: unknown, context: EntryContext): PreparedEntry => {
    if (item instanceof EntryRejected) throw item;
    if (!isObject(item))
      throw new EntryRejected('SchemaViolation', `A ${kind} must be a JSON object, not ${describe(item)}`);
    const owner = item[ownerField];
    if (owner !== undefined && owner !== null && owner !== context.clientId) {
      throw new EntryRejected('ClientMismatch', `${ownerField} must be your client id (${context.clientId}) or absent`);
    }
    return { eventId: '', payload: { ...item, [ownerField]: context.clientId } };
  };

const CLIENT_EVENTS_ROUTE: Route = {
  mediaTypes: [JSON_TYPE],
  maxEntries: (config) => config.maxEventEntries,
  entries: eventsEntries,
  prepare: prepareClientEvent,
  adapter: clientEventAdapter,
};

export const ROUTES: Readonly<Record<string, Route>> = {
  'POST /events': CLIENT_EVENTS_ROUTE,
  // The AWS client-event sample's path: an alias of /events.
  'POST /event': CLIENT_EVENTS_ROUTE,
  'POST /actions': {
    mediaTypes: [JSON_TYPE],
    maxEntries: (config) => config.maxBatchEntries,
    entries: batchEntries,
    prepare: prepareOwned('company_id', 'product action'),
    adapter: productActionAdapter,
  },
  'POST /meters': {
    mediaTypes: [JSON_TYPE, NDJSON_TYPE],
    maxEntries: (config) => config.maxBatchEntries,
    entries: batchEntries,
    prepare: prepareOwned('customerId', 'usage meter'),
    adapter: usageMeterAdapter,
  },
};

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): IngestResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const rejection = (error: RequestRejected): IngestResult =>
  json(error.statusCode, { message: error.message, code: error.code }, error.headers);

const routeOf = (event: IngestEvent): Route => {
  const method = event.requestContext?.http?.method?.toUpperCase() ?? '';
  const path = event.rawPath ?? event.requestContext?.http?.path ?? '';
  const route = ROUTES[event.routeKey] ?? ROUTES[`${method} ${path}`];
  if (route !== undefined) return route;
  const allowed = Object.keys(ROUTES).filter((key) => key.endsWith(` ${path}`));
  if (allowed.length > 0) {
    const methods = allowed.map((key) => key.split(' ')[0]).join(', ');
    throw new RequestRejected(405, 'MethodNotAllowed', `${method} is not allowed on ${path}: use ${methods}`, {
      allow: methods,
    });
  }
  throw new RequestRejected(
    404,
    'NotFound',
    `No route for ${method} ${path}: use POST /events (or /event), /actions or /meters`,
  );
};

/** The caller's client, from the JWT authorizer's `claimName` claim; 403 when the token carries none. */
const clientIdOf = (event: IngestEvent, claimName: string): string => {
  const claim = event.requestContext?.authorizer?.jwt?.claims?.[claimName];
  if (typeof claim !== 'string' || claim.trim() === '') {
    throw new RequestRejected(403, 'Forbidden', `The token has no ${claimName} claim`);
  }
  if (claim.length > MAX_CLIENT_ID_LENGTH) {
    throw new RequestRejected(
      403,
      'Forbidden',
      `The ${claimName} claim is longer than ${MAX_CLIENT_ID_LENGTH} characters`,
    );
  }
  return claim;
};

/** Kinesis' reasons in PutEvents' vocabulary; the detail (ARNs, account) stays in the logs. */
const streamFailure = (outcome: Extract<WriteOutcome, { ok: false }>): ResultEntry => {
  if (outcome.errorCode === 'RecordTooLarge')
    return { ErrorCode: 'RecordTooLarge', ErrorMessage: outcome.errorMessage };
  const throttled = /Throughput|Throttl|LimitExceeded|SlowDown/i.test(outcome.errorCode);
  return {
    ErrorCode: throttled ? 'ThrottlingException' : 'InternalFailure',
    ErrorMessage: throttled ? 'The stream is busy; retry this entry' : 'The entry could not be written; retry it',
  };
};

/**
 * The HTTP ingest API: authorizer claim → route → content type → size → parse → per-entry
 * validation (the same adapters the consumer runs) → PutRecords keyed by clientId. Answers
 * like EventBridge PutEvents, entry by entry in request order. Bad input is always a 4xx;
 * only a stream that refuses every entry is a 5xx (503, retryable).
 */
export class HttpIngest {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(
    private readonly config: HttpIngestConfig,
    private readonly dependencies: HttpIngestDependencies,
  ) {
    this.now = dependencies.now ?? (() => new Date());
    this.newId = dependencies.newId ?? randomUUID;
  }

  handle = async (event: IngestEvent): Promise<IngestResult> => {
    try {
      return await this.ingest(event);
    } catch (error) {
      if (error instanceof RequestRejected) {
        this.dependencies.logger.warn('Request rejected', {
          status: error.statusCode,
          code: error.code,
          detail: error.message,
          routeKey: event.routeKey,
        });
        return rejection(error);
      }
      this.dependencies.logger.error('Request failed', { error: toError(error), routeKey: event.routeKey });
      return json(500, { message: 'Internal Server Error', code: 'InternalFailure' });
    }
  };

  private async ingest(event: IngestEvent): Promise<IngestResult> {
    const route = routeOf(event);
    const clientId = clientIdOf(event, this.config.clientIdClaim);
    const mediaType = requireMediaType(event, route.mediaTypes);
    const text = readBody(event, this.config.maxBodyBytes);
    const entries = route.entries(text, mediaType.type);
    const maxEntries = route.maxEntries(this.config);
    if (entries.length === 0) throw new RequestRejected(400, 'NoEntries', 'The request has no entries');
    if (entries.length > maxEntries) {
      throw new RequestRejected(
        400,
        'TooManyEntries',
        `The request has ${entries.length} entries; the limit is ${maxEntries}`,
      );
    }

    const context: EntryContext = { clientId, receivedAt: this.now(), newId: this.newId };
    const results: (ResultEntry | undefined)[] = entries.map(() => undefined);
    const accepted: { index: number; eventId: string; record: StreamRecordInput }[] = [];
    entries.forEach((entry, index) => {
      try {
        const prepared = this.prepare(route, entry, context);
        accepted.push({
          index,
          eventId: prepared.eventId,
          // The channel marker: the consumer scopes these ids to the HTTP API (shared/sources/index.ts).
          record: {
            partitionKey: clientId,
            data: Buffer.from(JSON.stringify({ ...prepared.payload, [INGEST_FIELD]: HTTP_API_CHANNEL })),
          },
        });
      } catch (error) {
        results[index] = this.entryFailure(error);
      }
    });

    const outcomes =
      accepted.length > 0 ? await this.dependencies.writer.write(accepted.map(({ record }) => record)) : [];
    let written = 0;
    const notWritten: Extract<WriteOutcome, { ok: false }>[] = [];
    accepted.forEach(({ index, eventId }, position) => {
      const outcome = outcomes[position] ?? { ok: false, errorCode: 'MissingResponse', errorMessage: 'no outcome' };
      if (outcome.ok) {
        written++;
        results[index] = { EventId: eventId };
        return;
      }
      notWritten.push(outcome);
      results[index] = streamFailure(outcome);
    });
    if (notWritten.length > 0) {
      this.dependencies.logger.warn('Entries not written to the stream', {
        clientId,
        count: notWritten.length,
        errorCodes: countCodes(notWritten.map((outcome) => ({ ErrorCode: outcome.errorCode, ErrorMessage: '' }))),
        firstError: notWritten[0]?.errorMessage,
      });
    }
    const streamFailures = notWritten.filter((outcome) => outcome.errorCode !== 'RecordTooLarge').length;

    const response: PutEventsResponse = {
      FailedEntryCount: results.filter((result) => result === undefined || 'ErrorCode' in result).length,
      Entries: results.map((result) => result ?? { ErrorCode: 'InternalFailure', ErrorMessage: 'not processed' }),
    };
    this.dependencies.logger.info('Ingest request', {
      routeKey: event.routeKey,
      clientId,
      entries: entries.length,
      written,
      failed: response.FailedEntryCount,
      errorCodes: countCodes(response.Entries),
    });
    // The stream took nothing and the request was fine as far as it could tell: retryable.
    if (written === 0 && streamFailures > 0) {
      return json(
        503,
        { message: 'The stream is unavailable; retry the request', ...response },
        {
          'retry-after': String(this.config.retryAfterSeconds),
        },
      );
    }
    return json(200, response);
  }

  /** Builds the stream payload and runs the consumer's adapter on it: accepted here = accepted there. */
  private prepare(route: Route, entry: unknown, context: EntryContext): PreparedEntry {
    const prepared = route.prepare(entry, context);
    const canonical = route.adapter.toCanonical(prepared.payload, { receivedAt: context.receivedAt.toISOString() });
    assertAcceptableIds(route.adapter, canonical);
    if (!route.adapter.matches(prepared.payload)) {
      throw new EntryRejected(
        'SchemaViolation',
        `The entry carries a field of another source, so it is not a ${route.adapter.name}`,
      );
    }
    assertTimeInWindow(canonical.time, context.receivedAt.getTime(), this.config.timeWindow);
    return { eventId: canonical.id, payload: prepared.payload };
  }

  private entryFailure(error: unknown): ResultEntry {
    if (error instanceof EntryRejected) return { ErrorCode: error.code, ErrorMessage: error.message };
    if (error instanceof InvalidRecordError)
      return { ErrorCode: errorCodeOf(error.reason), ErrorMessage: error.message };
    throw error;
  }
}

const countCodes = (entries: readonly ResultEntry[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const entry of entries) if ('ErrorCode' in entry) counts[entry.ErrorCode] = (counts[entry.ErrorCode] ?? 0) + 1;
  return counts;
};

/** For `sls invoke local` without a local stack: the records are logged, nothing is sent. */
export const dryRunWriter = (config: HttpIngestConfig, logger: HttpIngestDependencies['logger']): RecordWriter => ({
  write: async (records) => {
    logger.info('Dry run: would put records to Kinesis', {
      stream: config.streamName,
      records: records.map((record) => ({
        partitionKey: record.partitionKey,
        data: JSON.parse(Buffer.from(record.data).toString('utf8')) as unknown,
      })),
    });
    return records.map(() => ({ ok: true, sequenceNumber: 'dry-run', shardId: 'dry-run' }));
  },
});

export const createHttpIngestDependencies = (
  config: HttpIngestConfig,
  logger: Logger,
  env: Env,
): HttpIngestDependencies => ({
  writer: config.dryRun
    ? dryRunWriter(config, logger)
    : new KinesisStreamWriter(createKinesisClient(env), { streamName: config.streamName, ...config.put }),
  logger,
});
