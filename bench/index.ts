import os from 'node:os';
import { runCaptureBench } from './capture-bench';
import { CONSUMER_BATCH_SIZE, CONSUMER_BATCHES, CONSUMER_TARGET_RATIO, runConsumerBench } from './consumer-bench';
import { RSS_RECORDS, RSS_TARGET_MB, type RssResult, runConsumerRssBench } from './consumer-rss-bench';
import { runDynamoWritesBench, WRITES_TARGET } from './dynamodb-writes-bench';
import { E2E_TARGET_RATIO, type E2eFigures, e2eEventsFromEnv, runE2eBench } from './e2e-bench';
import { printDropDetails, printE2eDetails, printLayoutDetails, printRssDetails } from './e2e-report';
import { runChild, TSX_REQUIRE } from './fork-child';
import { lakeQueryRows, printLakeQueryDetails, runLakeQueryBench } from './lake-query-bench';
import { LAYOUT_BOUND_TARGET, runLayoutBound } from './partition-bound-bench';
import { indent, int, ms, ratio, table, us, verdict } from './report';
import {
  runS3DropRssBench,
  S3_DROP_DIFFERENCE_TARGET_OF_SIZE,
  S3_DROP_GROWTH_TARGET_OF_SIZE,
  type S3DropRssResult,
} from './s3-drop-rss-bench';
import { runTransformerBench, TRANSFORMER_TARGET_RATIO } from './transformer-bench';

/** Milliseconds with two decimals (the capture's figures are around a millisecond). */
const ms2 = (value: number): string => `${value.toFixed(2)} ms`;

const TRANSFORMER_RUNS = { warmup: 10, iterations: 40 };
const CONSUMER_RUNS = { warmup: 5, iterations: 30 };

/** BENCH_E2E_EXTRA_SHARDS=N (default 2, 0 = skip): the end-to-end run again with N shards, labelled extra. */
const extraShardsFromEnv = (): number => {
  const raw = process.env.BENCH_E2E_EXTRA_SHARDS?.trim() || '2';
  if (!/^\d+$/.test(raw)) throw new Error(`BENCH_E2E_EXTRA_SHARDS must be a whole number, got "${raw}"`);
  return Number(raw);
};

/** The end-to-end run with more shards, in a process of its own (the handler modules are per-process singletons). */
const runExtraShards = (events: number, shards: number): Promise<E2eFigures> =>
  runChild<E2eFigures>('e2e-child.ts', {
    env: { ...process.env, BENCH_E2E_EVENTS: String(events), BENCH_E2E_SHARDS: String(shards) },
    timeoutMs: 900_000,
  });

const load = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

const main = async (): Promise<void> => {
  // The SDK warns once that Node 20 support ends in 2027; that says nothing about these figures.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log('Usage-event pipeline benchmarks (npm run bench)');
  console.log(
    `Node ${process.version}, ${process.platform} ${process.arch}, ${os.cpus().length} × ${cpu}; load average at start ${load()}`,
  );
  console.log('CPU = process.cpuUsage() user+system of this process (GC threads included); wall = performance.now().');
  console.log(
    'Each figure is the median over the measured iterations after warm-up; the two sides run alternately (ABBA)',
  );
  console.log('and a ratio is the median of the per-iteration paired ratios.\n');

  const layoutBound = await runLayoutBound();
  const transformer = await runTransformerBench(TRANSFORMER_RUNS, layoutBound.layout);
  const consumer = await runConsumerBench(CONSUMER_RUNS);
  const dynamo = await runDynamoWritesBench();
  const capture = await runCaptureBench();
  const captureExact = capture.recordsOnStream === capture.recordsExpected && capture.loggedProblems === 0;

  const e2eEvents = e2eEventsFromEnv();
  const extraShards = extraShardsFromEnv();
  const e2eLoadBefore = load();
  const e2e = await runE2eBench(e2eEvents);
  const rss: RssResult[] = [];
  let drop: S3DropRssResult;
  try {
    // The figure (tsx's require hook), then the same child under `--import tsx`, for comparison.
    rss.push(await runConsumerRssBench(e2e.stack.pipeline, e2e.definition, { execArgv: TSX_REQUIRE, seed: 101 }));
    rss.push(
      await runConsumerRssBench(e2e.stack.pipeline, e2e.definition, { execArgv: ['--import', 'tsx'], seed: 102 }),
    );
    drop = await runS3DropRssBench(e2e.stack.pipeline);
  } finally {
    await e2e.stack.stop();
  }
  const e2eLoadAfter = load();
  const extra =
    extraShards > 0 && extraShards !== e2e.shardCount ? await runExtraShards(e2eEvents, extraShards) : undefined;
  const lakeQuery = await runLakeQueryBench(layoutBound.layout);
  const rssFigure = rss[0] as RssResult;
  // The measured peak against the layout's bound (the quota when the layout has none: client_id).
  const peakTarget = layoutBound.bound ?? layoutBound.quota;
  const dropDifference = drop.large.rssGrowthMb - drop.small.rssGrowthMb;

  const t = transformer.comparison;
  const c = consumer.comparison;
  const perRecord = (totalMs: number): number => (totalMs * 1000) / consumer.records;

  console.log(
    table(
      ['#', 'Measurement', 'Result', 'Target', 'Status'],
      [
        [
          '1',
          'Transformer: transformBatch CPU / bare loop CPU',
          ratio(t.cpuRatio),
          `≤ ${ratio(TRANSFORMER_TARGET_RATIO)}`,
          verdict(t.cpuRatio, TRANSFORMER_TARGET_RATIO),
        ],
        [
          '2',
          'Consumer: CPU per record / bare loop CPU per record',
          ratio(c.cpuRatio),
          `≤ ${ratio(CONSUMER_TARGET_RATIO)}`,
          verdict(c.cpuRatio, CONSUMER_TARGET_RATIO),
        ],
        [
          '3',
          'DynamoDB: items written per unique event',
          dynamo.writesPerUniqueEvent.toFixed(3),
          `≤ ${WRITES_TARGET.toFixed(1)}`,
          verdict(dynamo.writesPerUniqueEvent, WRITES_TARGET),
        ],
        [
          '3b',
          'DynamoDB: sink received each unique event exactly once',
          dynamo.deliveredExactlyOnce ? 'yes' : 'NO',
          'yes',
          dynamo.deliveredExactlyOnce ? 'PASS' : 'MISS',
        ],
        [
          '4',
          `End to end: ${int(e2eEvents)} events, pipeline wall / bare round trip with the dedup write wall (put, read, BatchWriteItem, S3; ${e2e.shardCount} shard${e2e.shardCount === 1 ? '' : 's'})`,
          ratio(e2e.dedupRatio),
          `≤ ${ratio(E2E_TARGET_RATIO)}`,
          verdict(e2e.dedupRatio, E2E_TARGET_RATIO),
        ],
        [
          '4a',
          'End to end: pipeline wall / bare round trip wall without the dedup write (put, read, S3)',
          ratio(e2e.ratio),
          '(info)',
          'info',
        ],
        [
          '4b',
          'End to end: every event in the lake once, in its partition',
          e2e.lakeExact ? 'yes' : 'NO',
          'yes',
          e2e.lakeExact ? 'PASS' : 'MISS',
        ],
        ...(extra
          ? [
              [
                `4x`,
                `Extra, not the target: the same with ${extra.shardCount} shards (serverless.yml has 1), vs bare + dedup write (vs bare)`,
                `${ratio(extra.dedupRatio)} (${ratio(extra.ratio)})`,
                '(info)',
                extra.lakeExact ? 'info' : 'LAKE NOT EXACT',
              ],
            ]
          : []),
        [
          '5',
          `Consumer peak RSS, one ${int(RSS_RECORDS)}-record invocation (maxRSS)`,
          `${rssFigure.maxRssMB.toFixed(1)} MB`,
          `≤ ${RSS_TARGET_MB} MB`,
          verdict(rssFigure.maxRssMB, RSS_TARGET_MB),
        ],
        [
          '6',
          `API-call capture: latency added per invocation, p50 / p99 (kinesalite, ${int(capture.invocations)} calls)`,
          `${ms2(capture.addedP50Ms)} / ${ms2(capture.addedP99Ms)}`,
          '(info)',
          'info',
        ],
        [
          '6b',
          'API-call capture: one record on the stream per invocation',
          captureExact ? 'yes' : 'NO',
          'yes',
          captureExact ? 'PASS' : 'MISS',
        ],
        [
          '7',
          'Lake layout (serverless.yml, transformer environment): worst-case active Firehose partitions, partitionBound',
          layoutBound.bound === undefined ? 'unbounded' : int(layoutBound.bound),
          `≤ ${int(LAYOUT_BOUND_TARGET)}`,
          layoutBound.bound === undefined ? 'MISS' : verdict(layoutBound.bound, LAYOUT_BOUND_TARGET),
        ],
        [
          '7b',
          'End to end: peak active partitions of the local Firehose (stats().peakActivePartitions)',
          int(e2e.firehose.peakActivePartitions),
          `≤ ${int(peakTarget)} (row 7)`,
          verdict(e2e.firehose.peakActivePartitions, peakTarget),
        ],
        [
          '8',
          'S3 drop: peak RSS growth of the s3Drop handler in its own process, 10 MB vs 80 MB file',
          `+${drop.large.rssGrowthMb.toFixed(1)} MB (small +${drop.small.rssGrowthMb.toFixed(1)} MB)`,
          `≤ ${drop.growthTargetMb.toFixed(1)} MB (${S3_DROP_GROWTH_TARGET_OF_SIZE * 100} % of the large file)`,
          verdict(drop.large.rssGrowthMb, drop.growthTargetMb),
        ],
        [
          '8b',
          'S3 drop: large file growth − small file growth',
          `${dropDifference.toFixed(1)} MB`,
          `≤ ${drop.differenceTargetMb.toFixed(1)} MB (${S3_DROP_DIFFERENCE_TARGET_OF_SIZE * 100} % of the size difference)`,
          verdict(dropDifference, drop.differenceTargetMb),
        ],
        [
          '8c',
          'S3 drop: every record of both files sent, none rejected, no report',
          drop.allSent ? 'yes' : 'NO',
          'yes',
          drop.allSent ? 'PASS' : 'MISS',
        ],
        ...lakeQueryRows('9', lakeQuery),
      ],
    ),
  );

  console.log(
    `\n1. Transformer: ${int(transformer.records)} records in one Firehose transformation batch, mean ${transformer.meanRecordBytes.toFixed(0)} B decoded ` +
      `(${int(transformer.canonical)} canonical events with top-level clientId, ${int(transformer.envelopes)} raw EventBridge envelopes ` +
      `with clientId in resources[0]; 6 clients, 6 event types); ${t.subject.iterations} iterations after ${TRANSFORMER_RUNS.warmup} warm-up.`,
  );
  console.log(
    indent(
      table(
        ['side', 'CPU (median)', 'CPU min..max', 'wall (median)', 'per record (CPU)'],
        [
          [
            'transformBatch(event, layout)',
            ms(t.subject.cpuMs),
            `${ms(t.subject.cpuMinMs)}..${ms(t.subject.cpuMaxMs)}`,
            ms(t.subject.wallMs),
            us((t.subject.cpuMs * 1000) / transformer.records),
          ],
          [
            'bare loop',
            ms(t.baseline.cpuMs),
            `${ms(t.baseline.cpuMinMs)}..${ms(t.baseline.cpuMaxMs)}`,
            ms(t.baseline.wallMs),
            us((t.baseline.cpuMs * 1000) / transformer.records),
          ],
          ['ratio', ratio(t.cpuRatio), '', ratio(t.wallRatio), ''],
        ],
      ),
    ),
  );
  console.log(
    indent(
      'transformBatch: decode, blank check, JSON.parse, clientId lookup, eventType, identifier checks, UTC time and',
    ),
  );
  console.log(
    indent(
      'lateness window, partition keys of serverless.yml\'s layout (row 7), move clientId, JSON.stringify + "\\n", encode,',
    ),
  );
  console.log(indent('result records with metadata, summary.'));
  console.log(
    indent('bare loop: base64 decode, JSON.parse, move clientId into detail, JSON.stringify + "\\n", base64 encode;'),
  );
  console.log(
    indent(
      `all ${int(transformer.ok)} records come back Ok and byte-identical to the bare loop's output (checked before timing).`,
    ),
  );

  console.log(
    `\n2. Consumer: ${CONSUMER_BATCHES} Kinesis batches × ${CONSUMER_BATCH_SIZE} records = ${int(consumer.records)} valid EventBridge envelopes, ` +
      `event times within [arrival − 7 d, arrival + 15 min]; ${c.subject.iterations} iterations after ${CONSUMER_RUNS.warmup} warm-up.`,
  );
  console.log(
    indent(
      table(
        ['side', 'CPU per record', 'CPU per 10k (median)', 'CPU min..max', 'wall per record'],
        [
          [
            'KinesisConsumer.processBatch',
            us(perRecord(c.subject.cpuMs)),
            ms(c.subject.cpuMs),
            `${ms(c.subject.cpuMinMs)}..${ms(c.subject.cpuMaxMs)}`,
            us(perRecord(c.subject.wallMs)),
          ],
          [
            'bare loop',
            us(perRecord(c.baseline.cpuMs)),
            ms(c.baseline.cpuMs),
            `${ms(c.baseline.cpuMinMs)}..${ms(c.baseline.cpuMaxMs)}`,
            us(perRecord(c.baseline.wallMs)),
          ],
          ['ratio', ratio(c.cpuRatio), '', '', ratio(c.wallRatio)],
        ],
      ),
    ),
  );
  console.log(
    indent(
      'consumer: real Powertools BatchProcessor(EventType.KinesisDataStreams) + processPartialResponse, per record: base64',
    ),
  );
  console.log(
    indent('decode + record metadata, JSON.parse, EventBridge validation (zod schema), event-time normalization and'),
  );
  console.log(
    indent('window check, enrichment, JSON.stringify to a Buffer, size check, partition keys, summary counters, the'),
  );
  console.log(
    indent('per-batch DeliveryBatch (in-batch dedup, InMemoryIdempotencyStore read + write, in-memory EventSink that'),
  );
  console.log(
    indent('accepts everything), counting quarantine, silent Powertools Logger; a fresh store per iteration.'),
  );
  console.log(
    indent(
      'bare loop: base64 decode, JSON.parse, Object.assign({}, payload, { receivedAt, environment, envelopeVersion }),',
    ),
  );
  console.log(indent('JSON.stringify to a Buffer; no validation, dedup, batch bookkeeping or promises.'));
  console.log(
    indent(
      `check run: ${int(consumer.check.delivered)} delivered, ${consumer.check.duplicates} duplicates, ${consumer.check.quarantined} quarantined, ` +
        `${consumer.check.failed} failed, ${int(consumer.check.sinkRecords)} records in ${consumer.check.sinkCalls} sink calls.`,
    ),
  );

  console.log(
    `\n3. DynamoDB: dynalite on ${dynamo.endpoint} (child process, stopped), real DynamoDbIdempotencyStore, in-memory sink; ` +
      `${int(dynamo.records)} Kinesis records in ${dynamo.steps.length} invocations, ${dynamo.seconds.toFixed(1)} s.`,
  );
  console.log(
    indent(
      table(
        ['invocation', 'records', 'delivered', 'duplicates', 'failed', 'batchItemFailures', 'items written'],
        dynamo.steps.map((step) => [
          step.name,
          int(step.records),
          int(step.summary.delivered),
          int(step.summary.duplicates),
          int(step.summary.failed),
          int(step.batchItemFailures),
          int(step.storeWrites),
        ]),
      ),
    ),
  );
  console.log(
    indent(
      table(
        ['figure', 'value'],
        [
          ['unique events in the workload', int(dynamo.uniqueEvents)],
          ['delivered (consumer summaries)', int(dynamo.delivered)],
          [
            'distinct events the sink accepted / accepts in total',
            `${int(dynamo.sinkDistinct)} / ${int(dynamo.sinkAcceptedTotal)}`,
          ],
          ['sink rejections (first attempts, partial failure)', int(dynamo.sinkRejected)],
          ['unique events missing / accepted more than once', `${dynamo.missing} / ${dynamo.deliveredMoreThanOnce}`],
          ['items written (store.writes)', int(dynamo.storeWrites)],
          [
            'items written (middleware: sent − unprocessed)',
            `${int(dynamo.wire.itemsSent - dynamo.wire.itemsUnprocessed)} (${int(dynamo.wire.itemsSent)} − ${int(dynamo.wire.itemsUnprocessed)}) in ${dynamo.wire.batchWriteCalls} BatchWriteItem calls`,
          ],
          ['keys read (middleware)', `${int(dynamo.wire.keysRead)} in ${dynamo.wire.batchGetCalls} BatchGetItem calls`],
          [
            'writes per unique event (store / middleware)',
            `${dynamo.writesPerUniqueEvent.toFixed(3)} / ${dynamo.wireWritesPerUniqueEvent.toFixed(3)}`,
          ],
          ['sink received each unique event exactly once', dynamo.deliveredExactlyOnce ? 'yes' : 'NO'],
        ],
      ),
    ),
  );
  printE2eDetails('4', e2e, extra);
  console.log(indent(`load average (1, 5, 15 min) before 4: ${e2eLoadBefore}; after 4 and 5: ${e2eLoadAfter}.`));
  printRssDetails('5', rss);

  console.log(
    `\n6. API-call capture: a no-op HTTP API handler (200 JSON), middy without and with apiCallCapture, ${int(capture.invocations)} ` +
      `invocations each, one after another, in alternating blocks of 50 (ABC CBA) after 100 warm-up each; the wrapped side puts ` +
      `one api-call record (${int(Math.round(capture.recordBytes))} B, the v2 sample event) per invocation on a kinesalite stream ` +
      `before it returns, as in Lambda (${capture.seconds.toFixed(1)} s with the servers' start).`,
  );
  console.log(
    indent(
      table(
        ['side', 'p50', 'p99', 'mean', 'max', 'CPU per call (this process)'],
        [
          [
            'middy(noop)',
            ms2(capture.bare.p50Ms),
            ms2(capture.bare.p99Ms),
            ms2(capture.bare.meanMs),
            ms2(capture.bare.maxMs),
            ms2(capture.bareCpuUs / 1000),
          ],
          [
            'middy(noop).use(apiCallCapture(…))',
            ms2(capture.wrapped.p50Ms),
            ms2(capture.wrapped.p99Ms),
            ms2(capture.wrapped.meanMs),
            ms2(capture.wrapped.maxMs),
            ms2(capture.wrappedCpuUs / 1000),
          ],
          [
            'added (wrapped − bare)',
            ms2(capture.addedP50Ms),
            ms2(capture.addedP99Ms),
            ms2(capture.wrapped.meanMs - capture.bare.meanMs),
            '',
            ms2((capture.wrappedCpuUs - capture.bareCpuUs) / 1000),
          ],
          [
            'same, stub Kinesis client (no SDK request)',
            ms2(capture.stubbed.p50Ms),
            ms2(capture.stubbed.p99Ms),
            ms2(capture.stubbed.meanMs),
            ms2(capture.stubbed.maxMs),
            ms2(capture.stubbedCpuUs / 1000),
          ],
        ],
      ),
    ),
  );
  console.log(
    indent(
      `read back: ${int(capture.recordsOnStream)} api-call records on the stream for ${int(capture.recordsExpected)} wrapped invocations (warm-up included); ` +
        `${capture.loggedProblems} capture problems logged. The stub row is the capture's own work (request and response snapshot, masking, ` +
        'session-token hash, JSON, the stream writer); the rest of the added time is the SDK PutRecords call (serialize, sign, HTTP) and ' +
        'kinesalite. BENCH_CAPTURE_INVOCATIONS=N scales the run.',
    ),
  );

  printLayoutDetails('7', layoutBound, e2e, extra);
  printDropDetails('8', drop);
  printLakeQueryDetails('9', lakeQuery);

  console.log(`\nload average at end ${load()} (other processes on this machine add noise to 1, 2 and 4).`);
  if (!e2e.lakeExact || (extra && !extra.lakeExact)) {
    console.error(
      'ASSERTION FAILED: the end-to-end run did not put every event in the lake exactly once, in its partition.',
    );
    process.exitCode = 1;
  }
  if (lakeQuery.events !== lakeQuery.generated.events) {
    console.error('ASSERTION FAILED: the lake query did not count every event of the generated lake once.');
    process.exitCode = 1;
  }
  if (!drop.allSent) {
    console.error('ASSERTION FAILED: the s3Drop handler did not send every record of the benchmark files.');
    process.exitCode = 1;
  }
  if (!captureExact) {
    console.error(
      `ASSERTION FAILED: the capture put ${capture.recordsOnStream} records for ${capture.recordsExpected} invocations (${capture.loggedProblems} problems logged).`,
    );
    process.exitCode = 1;
  }
  if (!dynamo.deliveredExactlyOnce) {
    // Not a performance target but a correctness assertion: this one fails the run.
    console.error(
      `ASSERTION FAILED: the sink did not receive each unique event exactly once (${dynamo.missing} missing, ${dynamo.deliveredMoreThanOnce} more than once).`,
    );
    process.exitCode = 1;
  }
};

main().catch((error: unknown) => {
  console.error('Benchmark failed:', error);
  process.exitCode = 1;
});
