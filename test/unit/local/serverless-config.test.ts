import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parsePipelineDefinition } from '../../../infra/local/pipeline/serverless-config';

// The local stack's stream follows serverless.yml's stream parameters: `streamShardCount` shards
// when PROVISIONED; when ON_DEMAND (no ShardCount in the template), the four shards an on-demand
// stream starts with (https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html:
// 4 MB/s and 4,000 records/s of write capacity at creation).

const ROOT = join(__dirname, '..', '..', '..');
const OSLS = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');

const printed = async (params: Record<string, string>): Promise<unknown> => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      OSLS,
      'print',
      '--format',
      'json',
      '--stage',
      'test',
      ...Object.entries(params).map(([k, v]) => `--param=${k}=${v}`),
    ],
    { cwd: ROOT, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
  );
  return JSON.parse(stdout);
};

let onDemand: unknown;
let provisioned: unknown;
beforeAll(async () => {
  [onDemand, provisioned] = await Promise.all([
    printed({ streamMode: 'ON_DEMAND' }),
    printed({ streamMode: 'PROVISIONED', streamShardCount: '3' }),
  ]);
}, 60_000);

it('creates a provisioned stream with streamShardCount shards', () => {
  expect(parsePipelineDefinition(provisioned).stream).toEqual({ name: 'usage-pipeline-test-events', shardCount: 3 });
});

it('creates an on-demand stream with the four shards of its starting capacity', () => {
  const resources = (onDemand as { resources: { Resources: Record<string, { Type: string; Properties: object }> } })
    .resources.Resources;
  const stream = Object.values(resources).find((resource) => resource.Type === 'AWS::Kinesis::Stream');
  expect(stream?.Properties).toMatchObject({ StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
  expect(parsePipelineDefinition(onDemand).stream).toEqual({ name: 'usage-pipeline-test-events', shardCount: 4 });
});
