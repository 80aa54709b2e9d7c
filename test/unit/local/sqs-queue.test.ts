import { SqsError } from '../../../infra/local/sqs/errors';
import { type NewMessage, Queue } from '../../../infra/local/sqs/queue';

// One queue's state on a hand-moved clock: visibility (ReceiveMessage, ChangeMessageVisibility),
// receipt handles (DeleteMessage), retention (MessageRetentionPeriod), delays, purges.

let clock = 1_000_000;
const now = () => clock;
const message = (body: string, delaySeconds?: number): NewMessage => ({
  body,
  attributes: {},
  systemAttributes: {},
  delaySeconds,
  senderId: 'local',
});
const errorOf = (run: () => unknown): SqsError => {
  try {
    run();
  } catch (error) {
    if (error instanceof SqsError) return error;
    throw error;
  }
  throw new Error('expected an SqsError');
};

beforeEach(() => {
  clock = 1_000_000;
});

describe('visibility', () => {
  it('hides a received message for its visibility timeout, then gives it back with a new handle and a higher count', () => {
    const queue = new Queue('q', { VisibilityTimeout: '30' }, now);
    const sent = queue.send(message('a'));
    const [first] = queue.receive(10, 30);
    expect(first?.messageId).toBe(sent.messageId);
    expect(first?.receiveCount).toBe(1);
    const firstHandle = first?.receiptHandle;
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    clock += 29_999;
    expect(queue.receive(10, 30)).toEqual([]);
    clock += 1;
    const [again] = queue.receive(10, 30);
    expect(again?.receiveCount).toBe(2);
    expect(again?.receiptHandle).not.toBe(firstHandle);
    expect(again?.firstReceivedAt).toBe(1_000_000);
  });

  it('VisibilityTimeout 0 leaves the message visible', () => {
    const queue = new Queue('q', {}, now);
    queue.send(message('a'));
    expect(queue.receive(1, 0)).toHaveLength(1);
    expect(queue.counts().visible).toBe(1);
    expect(queue.receive(1, 0)[0]?.receiveCount).toBe(2);
  });

  it('receives up to max, oldest first', () => {
    const queue = new Queue('q', {}, now);
    for (const body of ['1', '2', '3']) queue.send(message(body));
    expect(queue.receive(2, 30).map((m) => m.body)).toEqual(['1', '2']);
    expect(queue.receive(10, 30).map((m) => m.body)).toEqual(['3']);
  });

  it('ChangeMessageVisibility counts from now, 0 gives the message back, and a total past 12 hours is refused', () => {
    const queue = new Queue('q', {}, now);
    queue.send(message('a'));
    const handle = queue.receive(1, 30)[0]?.receiptHandle as string;
    clock += 10_000;
    queue.changeVisibility(handle, 100);
    clock += 99_999;
    expect(queue.counts().inFlight).toBe(1);
    queue.changeVisibility(handle, 0);
    expect(queue.counts().visible).toBe(1);
    expect(errorOf(() => queue.changeVisibility(handle, 10)).shape).toBe('MessageNotInflight');

    const next = queue.receive(1, 7_200)[0]?.receiptHandle as string;
    clock += 3_600_000;
    expect(() => queue.changeVisibility(next, 43_200 - 3_600)).not.toThrow();
    const beyond = errorOf(() => queue.changeVisibility(next, 43_200 - 3_600 + 1));
    expect(beyond.message).toContain('Total VisibilityTimeout for the message is beyond the limit [43200 seconds]');
    expect(errorOf(() => queue.changeVisibility(handle, 10)).message).toContain(
      'Message does not exist or is not available for visibility timeout change.',
    );
  });
});

describe('receipt handles', () => {
  it('delete with the latest handle; an older one succeeds without deleting; a foreign one is invalid', () => {
    const queue = new Queue('q', {}, now);
    const other = new Queue('other', {}, now);
    queue.send(message('a'));
    const old = queue.receive(1, 0)[0]?.receiptHandle as string;
    const latest = queue.receive(1, 0)[0]?.receiptHandle as string;
    queue.delete(old);
    expect(queue.counts().visible).toBe(1);
    queue.delete(latest);
    expect(queue.counts().visible).toBe(0);
    queue.delete(latest); // already deleted: still succeeds
    expect(errorOf(() => queue.delete('not-a-handle')).shape).toBe('ReceiptHandleIsInvalid');
    other.send(message('b'));
    const foreign = other.receive(1, 0)[0]?.receiptHandle as string;
    const error = errorOf(() => queue.delete(foreign));
    expect([error.shape, error.status]).toEqual(['ReceiptHandleIsInvalid', 404]);
  });
});

describe('retention, delays, purges', () => {
  it('drops messages once they are MessageRetentionPeriod old, in flight or not', () => {
    const queue = new Queue('q', { MessageRetentionPeriod: '60' }, now);
    queue.send(message('old'));
    queue.receive(1, 300);
    clock += 30_000;
    queue.send(message('newer'));
    clock += 29_999;
    expect(queue.counts()).toEqual({ visible: 1, inFlight: 1, delayed: 0 });
    clock += 1;
    expect(queue.counts()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    clock += 30_000;
    expect(queue.receive(10, 0)).toEqual([]);
  });

  it('a shortened retention applies to the messages already there', () => {
    const queue = new Queue('q', {}, now);
    queue.send(message('a'));
    clock += 120_000;
    queue.setAttributes({ MessageRetentionPeriod: '60' });
    expect(queue.counts().visible).toBe(0);
  });

  it('delays a message by its DelaySeconds, or the queue’s', () => {
    const queue = new Queue('q', { DelaySeconds: '5' }, now);
    queue.send(message('queue delay'));
    queue.send(message('own delay', 0));
    expect(queue.counts()).toEqual({ visible: 1, inFlight: 0, delayed: 1 });
    expect(queue.nextVisibleInMs()).toBe(5_000);
    clock += 5_000;
    expect(queue.receive(10, 30).map((m) => m.body)).toEqual(['queue delay', 'own delay']);
  });

  it('purges everything, in flight too, once per 60 seconds', () => {
    const queue = new Queue('q', {}, now);
    queue.send(message('a'));
    queue.send(message('b'));
    queue.receive(1, 30);
    queue.purge();
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    clock += 59_999;
    const error = errorOf(() => queue.purge());
    expect([error.shape, error.status, error.queryCode]).toEqual([
      'PurgeQueueInProgress',
      403,
      'AWS.SimpleQueueService.PurgeQueueInProgress',
    ]);
    clock += 1;
    expect(() => queue.purge()).not.toThrow();
  });
});

describe('long-poll wake-ups', () => {
  it('a send wakes a waiter before its time is up', async () => {
    const queue = new Queue('q', {}, now);
    const started = Date.now();
    const waiting = queue.waitForChange(5_000);
    queue.send(message('a'));
    await waiting;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
