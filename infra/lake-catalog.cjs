'use strict';
// The lake's Glue database, its `lake_events` table (partition projection from custom.lake), the
// views and the `quarantine` / `error_outputs` tables of shared/lake-query/catalog.ts →
// CloudFormation resources (serverless.yml `resources`), and the database's name
// (custom.names.lakeDatabase). The compiler is
// shared/lake-query/glue-catalog.ts, loaded through tsx so the local DuckDB engine and Athena
// read one definition; a layout it cannot project fails `osls print/package/deploy`.

const { join } = require('node:path');
const { requireTs } = require('./require-ts.cjs');

let compiled;

const compile = async (resolveVariable) => {
  if (compiled) return compiled;
  const { compileGlueCatalog } = requireTs(join(__dirname, '../shared/lake-query/glue-catalog.ts'));
  const stack = {
    service: await resolveVariable('self:service'),
    stage: await resolveVariable('sls:stage'),
    bucket: await resolveVariable('self:custom.names.bucket'),
    prefix: await resolveVariable('self:custom.lake.prefix'),
    dataPrefix: await resolveVariable('self:custom.lake.dataPrefix'),
    errorPrefix: await resolveVariable('self:custom.lake.errorPrefix'),
    quarantinePrefix: await resolveVariable('self:custom.lake.quarantinePrefix'),
    eventTypes: await resolveVariable('self:custom.lake.eventTypes'),
    startDate: await resolveVariable('self:custom.lake.startDate'),
  };
  try {
    compiled = compileGlueCatalog(stack);
  } catch (error) {
    throw new Error(`Lake catalog (serverless.yml custom.lake): ${error.message}`, { cause: error });
  }
  return compiled;
};

module.exports.resources = async ({ resolveVariable }) => ({ Resources: (await compile(resolveVariable)).Resources });

module.exports.databaseName = async ({ resolveVariable }) => (await compile(resolveVariable)).databaseName;
