import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PipelineDefinition } from '../../infra/local/pipeline/serverless-config';
import { LOCAL_ACCOUNT_ID } from '../../infra/local/runtime/aws';
import { callLogPath } from '../../shared/aws/call-recorder';
import { formatReport, verifyCallLog } from '../helpers/iam-coverage';
import { packagedTemplate } from '../helpers/packaged-template';
import { DEFINITION_VARIABLE } from '../helpers/shared-stack';

/**
 * IAM coverage, after every integration test file: each AWS call a function made (the call log
 * global-setup.ts started) must be allowed by that function's role in the packaged template of
 * its stage. An uncovered call fails the run (jest reports a throwing globalTeardown and exits
 * 1); grants no call used are printed. The log is kept when the check fails.
 */
const checkCallLog = async (): Promise<void> => {
  const path = callLogPath();
  const definition = process.env[DEFINITION_VARIABLE];
  if (path === undefined || definition === undefined) return;
  const { service, stage, region } = JSON.parse(definition) as PipelineDefinition;
  const reports = await verifyCallLog(path, {
    defaultStage: stage,
    template: (name) => packagedTemplate({ stage: name }),
    pseudo: (name) => ({ partition: 'aws', region, accountId: LOCAL_ACCOUNT_ID, stackName: `${service}-${name}` }),
  });
  for (const [name, report] of reports) process.stdout.write(`\nStage ${name}: ${formatReport(report)}\n`);
  if (dirname(path).startsWith(join(tmpdir(), 'usage-pipeline-aws-calls-'))) rmSync(dirname(path), { recursive: true });
};

export default async function globalTeardown(): Promise<void> {
  try {
    await Promise.all((globalThis.pipelineTestStops ?? []).map((stop) => stop()));
  } finally {
    await checkCallLog();
  }
}
