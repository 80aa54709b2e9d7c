import type { PipelineDefinition } from '../../infra/local/pipeline/serverless-config';
import type { LocalServers } from '../../infra/local/runtime/local-servers';

/** Set by test/integration/global-setup.ts for every integration test file. */
export const ENDPOINTS_VARIABLE = 'PIPELINE_TEST_ENDPOINTS';
export const DEFINITION_VARIABLE = 'PIPELINE_TEST_DEFINITION';
export const LOCALSTACK_VARIABLE = 'PIPELINE_TEST_LOCALSTACK_ENDPOINT';

export const sharedStack = (): { endpoints: LocalServers['endpoints']; definition: PipelineDefinition } => {
  const endpoints = process.env[ENDPOINTS_VARIABLE];
  const definition = process.env[DEFINITION_VARIABLE];
  if (!endpoints || !definition) {
    throw new Error(
      `${ENDPOINTS_VARIABLE}/${DEFINITION_VARIABLE} are not set: run integration tests through jest (global setup)`,
    );
  }
  return {
    endpoints: JSON.parse(endpoints) as LocalServers['endpoints'],
    definition: JSON.parse(definition) as PipelineDefinition,
  };
};
