import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbIdempotencyStore } from '../../../shared/idempotency/dynamodb-idempotency-store';
import { keyString } from '../../../shared/idempotency/idempotency-store';

const NOW = Date.parse('2026-03-14T15:10:00Z');
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const dynamo = mockClient(documentClient);
const store = () =>
  new DynamoDbIdempotencyStore(documentClient, {
    tableName: 'idem',
    ttlSeconds: 3_600,
    now: () => NOW,
    sleep: async () => {},
  });
const key = (eventId: string, source = 'eventbridge') => ({ clientId: 'acme', source, eventId });
const keys = (count: number) => Array.from({ length: count }, (_, i) => key(`e${i}`));

describe('DynamoDbIdempotencyStore', () => {
  it('keys items by clientId and <source>#<eventId>: one id in two sources is two events', async () => {
    // Prepare: the table holds a meter whose uniqueId is T, sent through the HTTP API.
    dynamo
      .on(BatchGetCommand)
      .resolves({ Responses: { idem: [{ clientId: 'acme', eventKey: 'http-api/usage-meter#T' }] } });

    // Act
    const found = await store().findDelivered([
      key('T', 'http-api/usage-meter'),
      key('T', 'usage-meter'),
      key('T', 'product-action'),
    ]);

    // Assess: only the HTTP API's own meter is a duplicate; the vendor's meter and the action are new.
    expect([...found]).toEqual([keyString(key('T', 'http-api/usage-meter'))]);
    expect(dynamo.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.idem?.Keys).toEqual([
      { clientId: 'acme', eventKey: 'http-api/usage-meter#T' },
      { clientId: 'acme', eventKey: 'usage-meter#T' },
      { clientId: 'acme', eventKey: 'product-action#T' },
    ]);
  });

  beforeEach(() => dynamo.reset());

  it('finds delivered keys with strongly consistent reads of at most 100 keys a call', async () => {
    dynamo.on(BatchGetCommand).callsFake((input) => ({
      Responses: {
        idem: input.RequestItems.idem.Keys.filter(
          (item: { eventKey: string }) => item.eventKey === 'eventbridge#e7' || item.eventKey === 'eventbridge#e150',
        ),
      },
    }));

    const found = await store().findDelivered(keys(250));

    expect(found).toEqual(new Set([keyString(key('e7')), keyString(key('e150'))]));
    const calls = dynamo.commandCalls(BatchGetCommand);
    expect(calls.map((call) => call.args[0].input.RequestItems?.idem?.Keys?.length).sort()).toEqual([100, 100, 50]);
    expect(calls.every((call) => call.args[0].input.RequestItems?.idem?.ConsistentRead === true)).toBe(true);
  });

  it('ignores items whose TTL has passed but that DynamoDB has not deleted yet', async () => {
    dynamo.on(BatchGetCommand).resolves({
      Responses: {
        idem: [
          { clientId: 'acme', eventKey: 'eventbridge#e0', expiresAt: NOW / 1000 - 1 },
          { clientId: 'acme', eventKey: 'eventbridge#e1', expiresAt: NOW / 1000 + 60 },
        ],
      },
    });

    const found = await store().findDelivered(keys(2));

    expect([...found]).toEqual([keyString(key('e1'))]);
  });

  it('retries unprocessed keys', async () => {
    dynamo
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { idem: [] },
        UnprocessedKeys: { idem: { Keys: [{ clientId: 'acme', eventKey: 'eventbridge#e1' }] } },
      })
      .resolves({ Responses: { idem: [{ clientId: 'acme', eventKey: 'eventbridge#e1' }] } });

    const found = await store().findDelivered(keys(2));

    expect(found.has(keyString(key('e1')))).toBe(true);
    expect(dynamo.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems?.idem?.Keys).toEqual([
      { clientId: 'acme', eventKey: 'eventbridge#e1' },
    ]);
  });

  it('fails with IDEMPOTENCY_UNAVAILABLE when the table cannot be read', async () => {
    dynamo.on(BatchGetCommand).rejects(new Error('throttled'));

    await expect(store().findDelivered(keys(1))).rejects.toMatchObject({ code: 'IDEMPOTENCY_UNAVAILABLE' });
  });

  it('writes one item per delivered event, with a TTL, in calls of at most 25', async () => {
    dynamo.on(BatchWriteCommand).resolves({});
    const subject = store();

    const written = await subject.recordDelivered(keys(60));

    expect(written).toBe(60);
    expect(subject.writes).toBe(60);
    const calls = dynamo.commandCalls(BatchWriteCommand);
    expect(calls.map((call) => call.args[0].input.RequestItems?.idem?.length).sort()).toEqual([10, 25, 25]);
    expect(calls[0]?.args[0].input.RequestItems?.idem?.[0]).toEqual({
      PutRequest: {
        Item: {
          clientId: 'acme',
          eventKey: 'eventbridge#e0',
          deliveredAt: '2026-03-14T15:10:00.000Z',
          expiresAt: NOW / 1000 + 3_600,
        },
      },
    });
  });

  it('retries unprocessed writes and counts each item once', async () => {
    const unprocessed = { PutRequest: { Item: { clientId: 'acme', eventKey: 'eventbridge#e1' } } };
    dynamo
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { idem: [unprocessed] } })
      .resolves({});
    const subject = store();

    await subject.recordDelivered(keys(2));

    expect(subject.writes).toBe(2);
    expect(dynamo.commandCalls(BatchWriteCommand)[1]?.args[0].input.RequestItems?.idem).toEqual([unprocessed]);
  });
});
