import { loadPipelineDefinition } from '../../infra/local/pipeline/serverless-config';
import { startLocalServers } from '../../infra/local/runtime/local-servers';
import { startLocalStackBackend } from '../helpers/localstack-backend';
import { DEFINITION_VARIABLE, ENDPOINTS_VARIABLE, LOCALSTACK_VARIABLE } from '../helpers/shared-stack';

declare global {
  // Read back by global-teardown.ts (jest shares globals between the two).
  var pipelineTestStops: (() => Promise<void>)[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
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
