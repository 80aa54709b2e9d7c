/**
 * The consumer process of the RSS benchmark (bench/consumer-rss-bench.ts runs it through
 * bench/fork-child.ts, with tsx as a require hook or an ESM loader): loads the real consumer handler against the local stack named in its
 * environment (AWS_ENDPOINT_URL_*, table, delivery stream, bucket), invokes it once with ONE
 * Kinesis event of BENCH_RSS_RECORDS records, and sends its memory figures over IPC.
 */

import type { Context } from 'aws-lambda';
import { exportWithMethod, loadHandlerModule } from '../infra/local/lambda/handler-module';
import type { RecordOutcome } from '../shared/consumer/kinesis-consumer';
import { reply, replyFailure } from './child-reply';
import { vmHwm } from './peak-rss';
import { createRandom, eventBridgeEnvelope, kinesisEvent, kinesisRecord, ShardClock } from './record-factories';

export interface RssReport {
  records: number;
  /** Bytes of the event as JSON (what the Lambda runtime would receive). */
  eventBytes: number;
  meanDataBytes: number;
  rssAtStartBytes: number;
  rssAfterLoadBytes: number;
  rssBeforeInvokeBytes: number;
  heapUsedBeforeInvokeBytes: number;
  rssAfterInvokeBytes: number;
  /** process.resourceUsage().maxRSS after the invocation, KiB. */
  maxRssKiB: number;
  /** VmHWM of /proc/self/status after the invocation (this address space's peak RSS), KiB; Linux only. */
  vmHwmKiB?: number;
  durationMs: number;
  batchItemFailures: number;
  outcomes: Partial<Record<RecordOutcome['result'], number>>;
}

// The parent going away (killed, crashed) takes this process with it.
process.on('disconnect', () => process.exit(0));

const main = async (): Promise<void> => {
  const records = Number(process.env.BENCH_RSS_RECORDS ?? 10_000);
  const rssAtStartBytes = process.memoryUsage().rss;
  const loaded = loadHandlerModule<(event: unknown, context: Context) => Promise<{ batchItemFailures: unknown[] }>>(
    'functions/kinesis-consumer/handler',
    'handler',
  );
  const onRecordOutcome = exportWithMethod(loaded.exports, 'consumer', 'onRecordOutcome');
  if (onRecordOutcome === undefined)
    throw new Error('functions/kinesis-consumer/handler exports no consumer.onRecordOutcome()');
  const rssAfterLoadBytes = process.memoryUsage().rss;

  // ~510 B raw EventBridge envelopes, unique ids (seeds no other benchmark uses), arrival
  // over the last minute, event times up to 3 h before arrival: all deliverable.
  const random = createRandom(Number(process.env.BENCH_RSS_SEED ?? 23));
  const clock = new ShardClock(Date.now() - 60_000);
  let dataBytes = 0;
  const event = kinesisEvent(
    Array.from({ length: records }, () => {
      const { sequence, arrivalMillis } = clock.next();
      const payload = JSON.stringify(
        eventBridgeEnvelope({ random, timeMillis: arrivalMillis - Math.floor(random() * 3 * 3_600_000) }),
      );
      dataBytes += Buffer.byteLength(payload);
      return kinesisRecord(payload, sequence, arrivalMillis);
    }),
  );
  const eventBytes = Buffer.byteLength(JSON.stringify(event));

  const outcomes: RssReport['outcomes'] = {};
  onRecordOutcome((outcome: RecordOutcome) => {
    outcomes[outcome.result] = (outcomes[outcome.result] ?? 0) + 1;
  });
  // A Lambda context like the runtime's (written out here: importing the local event source
  // would load the Kinesis client into this process, which the consumer itself never does).
  const functionName = process.env.BENCH_FUNCTION_NAME ?? 'kinesis-consumer';
  const requestId = crypto.randomUUID();
  const deadline = Date.now() + 900_000;
  const context: Context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? 'us-east-1'}:000000000000:function:${functionName}`,
    memoryLimitInMB: process.env.BENCH_MEMORY_MB ?? '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };

  const before = process.memoryUsage();
  const started = performance.now();
  const response = await loaded.handler(event, context);
  const durationMs = performance.now() - started;
  const report: RssReport = {
    records,
    eventBytes,
    meanDataBytes: dataBytes / records,
    rssAtStartBytes,
    rssAfterLoadBytes,
    rssBeforeInvokeBytes: before.rss,
    heapUsedBeforeInvokeBytes: before.heapUsed,
    rssAfterInvokeBytes: process.memoryUsage().rss,
    maxRssKiB: process.resourceUsage().maxRSS,
    ...vmHwm(),
    durationMs,
    batchItemFailures: response.batchItemFailures.length,
    outcomes,
  };
  reply(report, 0);
};

main().catch(replyFailure);
