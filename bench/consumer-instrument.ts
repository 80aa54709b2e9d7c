/**
 * Loaded in each consumer environment (worker thread) of the bench's LocalPipeline, after the
 * handler module: wraps the consumer singleton's processBatch and its store's and sink's calls
 * (the code paths are unchanged) and posts each invocation's timings to the bench's thread.
 */
import type { ConsumerDependencies, KinesisConsumer } from '../shared/consumer/kinesis-consumer';

/** One invocation's timings; `endEpochMs` is `performance.timeOrigin + performance.now()` at its end. */
export interface InvocationTimings {
  invokeMs: number;
  readMs: number;
  deliverMs: number;
  writeMs: number;
  endEpochMs: number;
}

export const instrument = (
  exports: { consumer?: KinesisConsumer },
  post: (timings: InvocationTimings) => void,
): void => {
  const consumer = exports.consumer;
  if (!consumer) throw new Error('the consumer module does not export its consumer');
  const { store, sink } = (consumer as unknown as { deps: ConsumerDependencies }).deps;
  let current = { readMs: 0, deliverMs: 0, writeMs: 0 };
  const timed =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>, add: (ms: number) => void) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      try {
        return await fn(...args);
      } finally {
        add(performance.now() - started);
      }
    };
  store.findDelivered = timed(store.findDelivered.bind(store), (ms) => {
    current.readMs += ms;
  });
  store.recordDelivered = timed(store.recordDelivered.bind(store), (ms) => {
    current.writeMs += ms;
  });
  sink.deliver = timed(sink.deliver.bind(sink), (ms) => {
    current.deliverMs += ms;
  });
  consumer.processBatch = timed(consumer.processBatch.bind(consumer), (ms) => {
    // One invocation at a time per environment: the stage times since the last are this one's.
    post({ invokeMs: ms, ...current, endEpochMs: performance.timeOrigin + performance.now() });
    current = { readMs: 0, deliverMs: 0, writeMs: 0 };
  });
};
