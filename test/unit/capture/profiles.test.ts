import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CaptureValidationError,
  type CompanyProfile,
  type CompanyProfileRecord,
  type UserProfile,
  type UserProfileRecord,
  updateCompaniesBatch,
  updateCompany,
  updateUser,
  updateUsersBatch,
} from '../../../shared/capture';
import { RecordingMetrics } from '../../../shared/metrics';
import { recordingLogger } from '../../helpers/capture-events';

const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({ region: 'eu-west-1' });

const acceptAll = (input: PutRecordsCommandInput) => ({
  FailedRecordCount: 0,
  Records: (input.Records ?? []).map(() => ({ SequenceNumber: '1', ShardId: 'shardId-000000000000' })),
});

const sent = () =>
  kinesis.commandCalls(PutRecordsCommand).flatMap((call) =>
    (call.args[0].input.Records ?? []).map((entry) => ({
      partitionKey: entry.PartitionKey,
      record: JSON.parse(Buffer.from(entry.Data as Uint8Array).toString('utf8')) as
        | UserProfileRecord
        | CompanyProfileRecord,
    })),
  );

let log: ReturnType<typeof recordingLogger>;
const options = () => ({
  kinesisClient: client,
  streamName: 'usage-events',
  defaultClientId: 'client-default',
  logger: log.logger,
  env: {},
  metrics: new RecordingMetrics(),
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeEach(() => {
  kinesis.reset();
  kinesis.on(PutRecordsCommand).callsFake(acceptAll);
  log = recordingLogger();
  jest.useFakeTimers({
    now: new Date('2026-03-14T15:08:00.000Z'),
    doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
  });
});
afterEach(() => jest.useRealTimers());

describe('updateUser / updateUsersBatch', () => {
  it('puts a user-profile record, clientId = company_id', async () => {
    const result = await updateUser(
      {
        user_id: 'user-1',
        company_id: 'client-acme',
        metadata: { email: 'ada@acme.example' },
        campaign: { utm_source: 'newsletter' },
      },
      options(),
    );
    expect(result).toEqual({ sent: 1, notSent: 0 });
    expect(sent()).toEqual([
      {
        partitionKey: 'client-acme',
        record: {
          kind: 'user-profile',
          id: expect.stringMatching(UUID),
          clientId: 'client-acme',
          time: '2026-03-14T15:08:00.000Z',
          profile: {
            user_id: 'user-1',
            company_id: 'client-acme',
            metadata: { email: 'ada@acme.example' },
            campaign: { utm_source: 'newsletter' },
          },
        },
      },
    ]);
  });

  it('falls back to the default client id without company_id', async () => {
    await updateUser({ user_id: 'user-2' }, options());
    expect(sent()[0]).toMatchObject({
      partitionKey: 'client-default',
      record: { clientId: 'client-default', profile: { user_id: 'user-2' } },
    });
  });

  it('rejects invalid input with a clear error and sends nothing', async () => {
    await expect(updateUser({ user_id: '' }, options())).rejects.toThrow(
      new CaptureValidationError('updateUser: user_id must be a non-empty string of at most 256 characters'),
    );
    await expect(updateUser({ user_id: 'u', metadata: [1] } as unknown as UserProfile, options())).rejects.toThrow(
      'updateUser: metadata must be a JSON object',
    );
    await expect(updateUser({ user_id: 'u', campaign: { x: 'y'.repeat(70_000) } }, options())).rejects.toThrow(
      /campaign is \d+ bytes/,
    );
    await expect(updateUser({ user_id: 'u' }, { ...options(), defaultClientId: false })).rejects.toThrow(/no clientId/);
    await expect(updateUser(null as unknown as UserProfile, options())).rejects.toBeInstanceOf(CaptureValidationError);
    await expect(
      updateUsersBatch([{ user_id: 'ok' }, { user_id: 42 } as unknown as UserProfile], options()),
    ).rejects.toThrow('updateUsersBatch: users[1]: user_id must be');
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('sends a batch in one PutRecords call, each under its own partition key', async () => {
    const result = await updateUsersBatch(
      [{ user_id: 'a', company_id: 'c1' }, { user_id: 'b', company_id: 'c2' }, { user_id: 'c' }],
      options(),
    );
    expect(result).toEqual({ sent: 3, notSent: 0 });
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
    expect(sent().map((entry) => entry.partitionKey)).toEqual(['c1', 'c2', 'client-default']);
    expect(await updateUsersBatch([], options())).toEqual({ sent: 0, notSent: 0 });
  });

  it('stream trouble does not reject: logged and counted', async () => {
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }],
    });
    jest.useRealTimers();
    expect(await updateUser({ user_id: 'u' }, options())).toEqual({ sent: 0, notSent: 1 });
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        attributes: expect.objectContaining({ notSent: 1, errorCodes: { ProvisionedThroughputExceededException: 1 } }),
      }),
    );
  });

  it('a slow stream costs at most the budget (default 1 s for profiles)', async () => {
    kinesis.on(PutRecordsCommand).callsFake(() => new Promise(() => undefined));
    const pending = updateUser({ user_id: 'u' }, options());
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await pending).toEqual({ sent: 0, notSent: 1 });
  });
});

describe('updateCompany / updateCompaniesBatch', () => {
  it('puts company-profile records, clientId = company_id', async () => {
    expect(await updateCompany({ company_id: 'client-acme', metadata: { seats: 40 } }, options())).toEqual({
      sent: 1,
      notSent: 0,
    });
    expect(
      await updateCompaniesBatch(
        [{ company_id: 'c1' }, { company_id: 'c2', campaign: { utm_medium: 'email' } }],
        options(),
      ),
    ).toEqual({
      sent: 2,
      notSent: 0,
    });
    expect(sent()).toEqual([
      {
        partitionKey: 'client-acme',
        record: {
          kind: 'company-profile',
          id: expect.stringMatching(UUID),
          clientId: 'client-acme',
          time: '2026-03-14T15:08:00.000Z',
          profile: { company_id: 'client-acme', metadata: { seats: 40 } },
        },
      },
      { partitionKey: 'c1', record: expect.objectContaining({ profile: { company_id: 'c1' } }) },
      {
        partitionKey: 'c2',
        record: expect.objectContaining({ profile: { company_id: 'c2', campaign: { utm_medium: 'email' } } }),
      },
    ]);
  });

  it('rejects a missing company_id (the default client id does not apply to companies)', async () => {
    await expect(updateCompany({} as CompanyProfile, options())).rejects.toThrow(
      'updateCompany: company_id must be a non-empty string',
    );
    await expect(updateCompaniesBatch('nope' as unknown as CompanyProfile[], options())).rejects.toThrow(
      'updateCompaniesBatch: expected an array',
    );
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });
});
