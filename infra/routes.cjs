'use strict';
// routes.yml → CloudFormation resources (serverless.yml `resources`) and the routing bus's name (the
// consumer's ROUTING_BUS_NAME). The compiler is shared/routes/cloudformation.ts, loaded through
// tsx so there is one implementation; an invalid routes file fails `osls print/package/deploy`
// with the route and the field named. `--param="routesFile=FILE"` uses another file.
const { join, resolve } = require('node:path');
const { requireTs } = require('./require-ts.cjs');

const ROOT = join(__dirname, '..');
let compiled;

const compile = async (resolveVariable) => {
  if (compiled) return compiled;
  const { loadRoutesFile } = requireTs(join(ROOT, 'shared/routes/routes-file.ts'));
  const { routeChecks } = requireTs(join(ROOT, 'shared/routes/checks.ts'));
  const { compileRoutes } = requireTs(join(ROOT, 'shared/routes/cloudformation.ts'));
  const file = await resolveVariable("param:routesFile, 'routes.yml'");
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const routes = loadRoutesFile(resolve(ROOT, file), 'deploy', routeChecks);
  compiled = compileRoutes(routes, {
    service,
    stage,
    lakeBucket: 'LakeBucket',
    consumerRole: 'KinesisConsumerRole',
    alarmTopic: 'AlarmTopic',
    lakeKmsKey: { condition: 'LakeKmsKeyGiven', keyArnParameter: 'LakeKmsKeyArn' },
  });
  return compiled;
};

module.exports.resources = async ({ resolveVariable }) => {
  const { Resources, Outputs } = await compile(resolveVariable);
  return { Resources, Outputs };
};

module.exports.busName = async ({ resolveVariable }) => (await compile(resolveVariable)).busName;
