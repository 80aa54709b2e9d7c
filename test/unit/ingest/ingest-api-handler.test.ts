import type { Context } from 'aws-lambda';
import { loadHttpIngestConfig } from '../../../shared/ingest/http-ingest-config';
import { loadSampleEvent } from '../../helpers/events';

const context = {
  functionName: 'ingestApi',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

type Handler = (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;

const loadHandler = (env: Record<string, string | undefined>): Handler => {
  const saved = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    let handler: Handler | undefined;
    jest.isolateModules(() => {
      handler = (require('../../../functions/ingest-api/handler') as { handler: Handler }).handler;
    });
    return handler as Handler;
  } finally {
    process.env = saved;
  }
};

describe('ingest-api handler', () => {
  it('fails at cold start naming a missing STREAM_NAME', () => {
    expect(() => loadHandler({ STREAM_NAME: undefined })).toThrow('Missing required environment variable STREAM_NAME');
  });

  it('answers the sample event (invoke local, dry run) entry by entry', async () => {
    // Prepare: what `sls invoke local` sets, no endpoint override.
    const handler = loadHandler({
      STREAM_NAME: 'usage-pipeline-dev-events',
      IS_LOCAL: 'true',
      AWS_ENDPOINT_URL: undefined,
      AWS_ENDPOINT_URL_KINESIS: undefined,
    });

    // Act
    const result = await handler(loadSampleEvent('http-api-events'), context);

    // Assess
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body) as { FailedEntryCount: number; Entries: Record<string, string>[] };
    expect(body.FailedEntryCount).toBe(1);
    expect(body.Entries.map((entry) => entry.ErrorCode ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'SchemaViolation']);
    expect(body.Entries[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('loadHttpIngestConfig', () => {
  it('has defaults for everything but the stream name', () => {
    expect(loadHttpIngestConfig({ STREAM_NAME: 's' })).toEqual({
      streamName: 's',
      clientIdClaim: 'custom:clientId',
      maxBodyBytes: 1_048_576,
      maxEventEntries: 10,
      maxBatchEntries: 500,
      retryAfterSeconds: 1,
      timeWindow: { maxEventAgeSeconds: 604_800, maxFutureSkewSeconds: 900 },
      put: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 500 },
      dryRun: false,
    });
  });

  it('runs dry under invoke local unless an endpoint is set or DRY_RUN says otherwise', () => {
    expect(loadHttpIngestConfig({ STREAM_NAME: 's', IS_LOCAL: 'true' }).dryRun).toBe(true);
    expect(
      loadHttpIngestConfig({ STREAM_NAME: 's', IS_LOCAL: 'true', AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4567' })
        .dryRun,
    ).toBe(false);
    expect(loadHttpIngestConfig({ STREAM_NAME: 's', IS_LOCAL: 'true', DRY_RUN: 'false' }).dryRun).toBe(false);
  });

  it('names a malformed limit', () => {
    expect(() => loadHttpIngestConfig({ STREAM_NAME: 's', MAX_BODY_BYTES: '10MB' })).toThrow('MAX_BODY_BYTES');
    expect(() => loadHttpIngestConfig({ STREAM_NAME: 's', MAX_EVENT_ENTRIES: '0' })).toThrow('MAX_EVENT_ENTRIES');
  });
});
