/**
 * The extra-shards end-to-end run, in its own process (bench/index.ts forks it with
 * `node --require tsx/cjs`): the consumer and transformer handler modules are singletons
 * configured at load, so a second LocalPipeline needs a fresh process. Runs runE2eBench with
 * BENCH_E2E_SHARDS shards and BENCH_E2E_EVENTS events, sends the figures over IPC, stops its
 * stack (its servers exit with it in any case) and exits.
 */
import { reply, replyFailure } from './child-reply';
import { type E2eFigures, runE2eBench } from './e2e-bench';

// Exit through process.exit, so the 'exit' hooks run (runE2eBench's removes s3rver's directory);
// the servers, this process's children, exit with it.
process.on('disconnect', () => process.exit(0));
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

const main = async (): Promise<void> => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const result = await runE2eBench(Number(process.env.BENCH_E2E_EVENTS), {
    shardCount: Number(process.env.BENCH_E2E_SHARDS),
  });
  const { stack, definition: _definition, ...figures } = result;
  await stack.stop();
  reply(figures satisfies E2eFigures, 0);
};

main().catch(replyFailure);
