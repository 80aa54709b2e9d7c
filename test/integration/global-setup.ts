import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipelineDefinition } from '../../infra/local/pipeline/serverless-config';
import { startLocalServers } from '../../infra/local/runtime/local-servers';
import { CALL_LOG_VARIABLE, callLogPath } from '../../shared/aws/call-recorder';
import { startLocalStackBackend } from '../helpers/localstack-backend';
import { DEFINITION_VARIABLE, ENDPOINTS_VARIABLE, LOCALSTACK_VARIABLE } from '../helpers/shared-stack';

declare global {
  // Read back by global-teardown.ts (jest shares globals between the two).
  var pipelineTestStops: (() => Promise<void>)[] | undefined;
}

/**
 * The functions' AWS calls of this run (README "Tests", IAM coverage): a fresh log, or the file
 * AWS_CALL_LOG already names, emptied. Test files, their worker threads and child processes
 * inherit the variable; global-teardown.ts checks the log against the packaged template.
 */
const startCallLog = (): string => {
  const path = callLogPath() ?? join(mkdtempSync(join(tmpdir(), 'usage-pipeline-aws-calls-')), 'calls.ndjson');
  writeFileSync(path, '');
  process.env[CALL_LOG_VARIABLE] = path;
  return path;
};

export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  startCallLog();
  const [servers, definition, localstack] = await Promise.all([
    startLocalServers(),
    loadPipelineDefinition('test'),
    startLocalStackBackend(),
  ]);
  globalThis.pipelineTestStops = [servers.stop, ...(localstack ? [localstack.stop] : [])];
  process.env[ENDPOINTS_VARIABLE] = JSON.stringify(servers.endpoints);
  process.env[DEFINITION_VARIABLE] = JSON.stringify(definition);
  if (localstack) process.env[LOCALSTACK_VARIABLE] = localstack.endpoint;
}
