/**
 * The EventBridge API over HTTP, as `@aws-sdk/client-eventbridge` calls it: AWS JSON 1.1
 * (AwsJson1_1Protocol, `X-Amz-Target: AWSEvents.<Action>`, `application/x-amz-json-1.1`; errors
 * as `{"__type", "message"}`). One action: PutEvents, validated as the API reference and the user
 * guide document it (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html):
 * - 1 to 10 entries, else the call fails (ValidationException);
 * - the entries' total size, counted as EventBridge counts it (Time 14 bytes; Source, DetailType,
 *   Detail and each Resources entry as UTF-8), not over 256 KB, else the call fails;
 * - per entry, an ErrorCode in the response: Source, DetailType and Detail are required
 *   (InvalidArgument), Detail must be a JSON object (MalformedDetail), `aws.` sources are AWS's
 *   (NotAuthorizedForSourceException), and the bus must exist (ResourceNotFoundException). An
 *   entry without EventBusName goes to the account's `default` bus, which has no rules here.
 * Every other action is UnknownOperationException.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  EVENTBRIDGE_DEFAULT_BUS,
  EVENTBRIDGE_MAX_PUT_BYTES,
  EVENTBRIDGE_MAX_PUT_ENTRIES,
  EVENTBRIDGE_TIME_ENTRY_BYTES,
} from '../runtime/aws';
import { errorMessage } from '../runtime/errors';
import { closeServer, type JsonRequest, listenForSdk, readJsonRequest } from '../runtime/http-server';
import type { AcceptedEntry } from './bus';

const TARGET_PREFIX = 'AWSEvents.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
/** Largest HTTP body read: ten 256 KB entries are well under it, escaped as JSON. */
const MAX_HTTP_BODY_BYTES = 4 * 1024 * 1024;
/** EventBusName (PutEventsRequestEntry): a name or a bus ARN, 1–1600 characters. */
const BUS_NAME = /^(arn:aws[\w-]*:events:[a-z]{2}-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/.\-_A-Za-z0-9]+$/;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An error answer: `__type` and `message`, with its HTTP status. */
/** The error a request that is not a JSON-protocol call gets (as before the shared reader). */
const requestProblem = (problem: Extract<JsonRequest, { ok: false }>['problem']): ApiError => {
  switch (problem) {
    case 'not-post':
      return new ApiError('UnknownOperationException', 'Only POST is supported', 404);
    case 'too-large':
      return new ApiError('SerializationException', 'Request body too large', 413);
    case 'not-json':
      return new ApiError('SerializationException', 'Request body is not valid JSON');
    case 'not-object':
      return new ApiError('SerializationException', 'Request body must be a JSON object');
  }
};

export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface EntryFailure {
  errorCode: string;
  errorMessage: string;
}

/** An entry the bus takes: onto the routing bus (its rules) or the default bus (no rules). */
export interface EntryOnBus {
  bus: string;
  entry: AcceptedEntry;
}

export type EntryResult = EntryOnBus | EntryFailure;

export const isFailure = (result: EntryResult): result is EntryFailure => 'errorCode' in result;

/** PutEvents' size of an entry ("Calculating Amazon EventBridge PutEvents event entry size"). */
export const putEventsEntrySize = (entry: Json): number => {
  const utf8 = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
  let size = entry.Time === undefined || entry.Time === null ? 0 : EVENTBRIDGE_TIME_ENTRY_BYTES;
  size += utf8(entry.Source) + utf8(entry.DetailType) + utf8(entry.Detail);
  if (Array.isArray(entry.Resources)) for (const resource of entry.Resources) size += utf8(resource);
  return size;
};

export interface BusIdentity {
  busName: string;
  region: string;
  accountId: string;
}

/** The bus an EventBusName names, or undefined when there is no such bus. */
const resolveBus = (name: unknown, bus: BusIdentity): string | undefined => {
  if (name === undefined || name === null || name === '') return EVENTBRIDGE_DEFAULT_BUS;
  const text = String(name);
  const arn = /^arn:aws[\w-]*:events:([^:]+):([^:]+):event-bus\/(.+)$/.exec(text);
  const busName = arn ? (arn[1] === bus.region && arn[2] === bus.accountId ? arn[3] : undefined) : text;
  if (busName === bus.busName || busName === EVENTBRIDGE_DEFAULT_BUS) return busName;
  return undefined;
};

const required = (field: string): EntryFailure => ({
  errorCode: 'InvalidArgument',
  errorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
});

/** The entry's Time: the SDK sends epoch seconds; an ISO string is read too. */
const timeOf = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * 1000);
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
};

const checkEntry = (entry: Json, bus: BusIdentity): EntryResult => {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const source = text(entry.Source);
  const detailType = text(entry.DetailType);
  const detailText = text(entry.Detail);
  if (source === '') return required('Source');
  if (detailType === '') return required('DetailType');
  if (detailText === '') return required('Detail');
  let detail: unknown;
  try {
    detail = JSON.parse(detailText);
  } catch {
    detail = undefined;
  }
  if (!isObject(detail)) return { errorCode: 'MalformedDetail', errorMessage: 'Detail is malformed.' };
  if (source.startsWith('aws.'))
    return { errorCode: 'NotAuthorizedForSourceException', errorMessage: 'Not authorized for the source.' };
  const target = resolveBus(entry.EventBusName, bus);
  if (target === undefined)
    return {
      errorCode: 'ResourceNotFoundException',
      errorMessage: `Event bus ${String(entry.EventBusName)} does not exist.`,
    };
  const timeMs = timeOf(entry.Time);
  return {
    bus: target,
    entry: {
      source,
      detailType,
      detail,
      resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
      ...(timeMs !== undefined && { timeMs }),
    },
  };
};

/** Validates a PutEvents request: throws ApiError when the call fails, else one result per entry. */
export const validatePutEvents = (input: Json, bus: BusIdentity): EntryResult[] => {
  const entries = input.Entries;
  if (entries === undefined || entries === null) {
    throw new ApiError(
      'ValidationException',
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
  }
  if (!Array.isArray(entries)) throw new ApiError('SerializationException', 'Entries must be a list');
  if (entries.length < 1 || entries.length > EVENTBRIDGE_MAX_PUT_ENTRIES) {
    const bound =
      entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${EVENTBRIDGE_MAX_PUT_ENTRIES}`;
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  const violations: string[] = [];
  entries.forEach((entry: unknown, index) => {
    if (!isObject(entry)) throw new ApiError('SerializationException', 'Each entry must be an object');
    for (const field of ['Source', 'DetailType', 'Detail', 'EventBusName', 'TraceHeader'] as const) {
      const value = entry[field];
      if (value !== undefined && value !== null && typeof value !== 'string')
        throw new ApiError('SerializationException', `${field} must be a string`);
    }
    if (
      entry.Resources !== undefined &&
      entry.Resources !== null &&
      !(Array.isArray(entry.Resources) && entry.Resources.every((resource) => typeof resource === 'string'))
    ) {
      throw new ApiError('SerializationException', 'Resources must be a list of strings');
    }
    const name = entry.EventBusName;
    if (typeof name === 'string' && name !== '' && (name.length > 1600 || !BUS_NAME.test(name))) {
      violations.push(
        `Value '${name}' at 'entries.${index + 1}.member.eventBusName' failed to satisfy constraint: ${name.length > 1600 ? 'Member must have length less than or equal to 1600' : 'Member must satisfy regular expression pattern: (arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+'}`,
      );
    }
  });
  if (violations.length > 0) {
    throw new ApiError(
      'ValidationException',
      `${violations.length === 1 ? '1 validation error' : `${violations.length} validation errors`} detected: ${violations.join('; ')}`,
    );
  }
  const total = (entries as Json[]).reduce((sum, entry) => sum + putEventsEntrySize(entry), 0);
  if (total > EVENTBRIDGE_MAX_PUT_BYTES)
    throw new ApiError('ValidationException', 'Total size of the entries in the request is over the limit.');
  return (entries as Json[]).map((entry) => checkEntry(entry, bus));
};

/** What the API needs of the bus behind it. */
export interface EventBridgeBackend extends BusIdentity {
  /** True once the bus is stopping: calls are answered InternalException. */
  isStopping(): boolean;
  /** Takes the validated entries of one PutEvents in; returns the EventId of each accepted one, in order. */
  putEvents(results: readonly EntryResult[]): (string | undefined)[];
  /** A PutEvents call failed as a whole. */
  refused(): void;
  /** Counts `work` as pending for drain(). */
  hold<T>(work: () => Promise<T>): Promise<T>;
}

const sendJson = (response: ServerResponse, status: number, payload: unknown): void => {
  const body = JSON.stringify(payload);
  response.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(body);
};

const sendError = (response: ServerResponse, error: ApiError): void =>
  sendJson(response, error.status, { __type: error.type, message: error.message });

export class EventBridgeApi {
  private server?: Server;

  constructor(private readonly backend: EventBridgeBackend) {}

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listens on `host` (a free port unless `port`); resolves with the endpoint URL. */
  async listen(host: string, port: number): Promise<string> {
    const server = createServer((request, response) => {
      this.backend
        .hold(() => this.handle(request, response))
        .catch((error: unknown) => {
          if (!response.headersSent) sendError(response, new ApiError('InternalException', errorMessage(error), 500));
        });
    });
    this.server = server;
    return listenForSdk(server, host, port);
  }

  async close(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const read = await readJsonRequest(request, MAX_HTTP_BODY_BYTES, TARGET_PREFIX);
    try {
      if (!read.ok) throw requestProblem(read.problem);
      const { action, input } = read;
      if (action !== 'PutEvents')
        throw new ApiError(
          'UnknownOperationException',
          action ? `Unknown operation ${action}` : 'Missing X-Amz-Target',
        );
      if (this.backend.isStopping()) throw new ApiError('InternalException', 'The event bus is shutting down.', 500);
      sendJson(response, 200, this.putEvents(input));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      sendError(response, error);
    }
  }

  private putEvents(input: Json): unknown {
    let results: EntryResult[];
    try {
      results = validatePutEvents(input, this.backend);
    } catch (error) {
      this.backend.refused();
      throw error;
    }
    const ids = this.backend.putEvents(results);
    const entries = results.map((result, index) =>
      isFailure(result) ? { ErrorCode: result.errorCode, ErrorMessage: result.errorMessage } : { EventId: ids[index] },
    );
    return { FailedEntryCount: results.filter(isFailure).length, Entries: entries };
  }
}
