import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { ROUTING_DETAIL_TYPE, ROUTING_SOURCE } from '../../../shared/routes/cloudformation';
import { EventBridgePublisher, entrySize, MAX_BYTES_PER_CALL } from '../../../shared/routing/route-publisher';

// PutEvents: at most 10 entries and 256 KB per call, per-entry failures reported with ErrorCode
// (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html); the entry size
// counts Source, DetailType and Detail (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).

const client = new EventBridgeClient({ region: 'us-east-1' });
const eventbridge = mockClient(client);
const publisher = (maxAttempts = 3) =>
  new EventBridgePublisher(client, { busName: 'routing', maxAttempts, baseDelayMs: 1, maxDelayMs: 2 });
const event = (id: string, padding = 0) =>
  Buffer.from(JSON.stringify({ id, source: 'client.events', detail: { pad: 'x'.repeat(padding) } }));
const entriesOf = (call: number) => eventbridge.commandCalls(PutEventsCommand)[call]?.args[0].input.Entries ?? [];

beforeEach(() => eventbridge.reset());

it('publishes each event as the routing envelope, 10 entries per call', async () => {
  // Prepare
  eventbridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
  }));
  const events = Array.from({ length: 23 }, (_, i) => event(`r${i}`));

  // Act
  const outcomes = await publisher().publish(events);

  // Assess
  expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
  expect(eventbridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.length)).toEqual([
    10, 10, 3,
  ]);
  expect(entriesOf(0)[0]).toEqual({
    EventBusName: 'routing',
    Source: ROUTING_SOURCE,
    DetailType: ROUTING_DETAIL_TYPE,
    Detail: events[0]?.toString('utf8'),
  });
});

it('keeps a call under 256 KB', async () => {
  eventbridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map(() => ({ EventId: 'e' })),
  }));
  const events = Array.from({ length: 4 }, (_, i) => event(`big${i}`, 100 * 1024));

  await publisher().publish(events);

  const calls = eventbridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
  expect(calls.map((entries) => entries.length)).toEqual([2, 2]);
  for (const entries of calls) {
    expect(
      entries.reduce((sum, entry) => sum + entrySize(Buffer.byteLength(entry.Detail ?? '')), 0),
    ).toBeLessThanOrEqual(MAX_BYTES_PER_CALL);
  }
});

it('retries only the entries that failed, and reports what still fails', async () => {
  // Prepare: r1 is throttled once, r2 always fails.
  let call = 0;
  eventbridge.on(PutEventsCommand).callsFake((input: { Entries: { Detail: string }[] }) => {
    call++;
    return {
      FailedEntryCount: 1,
      Entries: input.Entries.map((entry) => {
        const { id } = JSON.parse(entry.Detail) as { id: string };
        if (id === 'r2' || (id === 'r1' && call === 1))
          return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
        return { EventId: `id-${id}` };
      }),
    };
  });

  // Act
  const outcomes = await publisher(3).publish([event('r0'), event('r1'), event('r2')]);

  // Assess
  expect(outcomes).toEqual([
    { ok: true },
    { ok: true },
    { ok: false, errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' },
  ]);
  expect(eventbridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([3, 2, 1]);
});

it('does not send an entry over 256 KB, and stops when told there is no time', async () => {
  eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });

  const tooBig = await publisher().publish([event('huge', 300 * 1024)]);
  const noTime = await publisher().publish([event('late')], { canAttempt: () => false });

  expect(tooBig[0]).toMatchObject({ ok: false, errorCode: 'EntryTooLarge' });
  expect(noTime[0]).toMatchObject({ ok: false, errorCode: 'NotAttempted' });
  expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(0);
});

it('fails every entry of a call that failed as a whole, after the attempts', async () => {
  eventbridge.on(PutEventsCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' }));

  const outcomes = await publisher(2).publish([event('a'), event('b')]);

  expect(outcomes).toEqual([
    { ok: false, errorCode: 'Error', errorMessage: 'connect ECONNREFUSED' },
    { ok: false, errorCode: 'Error', errorMessage: 'connect ECONNREFUSED' },
  ]);
  expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(2);
});
