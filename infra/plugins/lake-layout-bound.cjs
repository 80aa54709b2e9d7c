'use strict';
// Serverless plugin: on `osls package` / `osls deploy`, checks the lake layout (custom.lake, as the
// transformer's environment carries it) and prints the active-partition bound, with a warning
// when it can pass the delivery stream's quota. The formula lives in shared/lake-layout.ts; tsx
// loads that TypeScript module here so there is one implementation.

const { join } = require('node:path');
const { requireTs } = require('../require-ts.cjs');

class LakeLayoutBound {
  constructor(serverless, _options, { log } = {}) {
    this.serverless = serverless;
    this.log = log;
    this.hooks = {
      'before:package:initialize': () => this.check(),
    };
  }

  check() {
    const { loadLakeLayout, partitionBound } = requireTs(join(__dirname, '../../shared/lake-layout.ts'));
    const transformer = this.serverless.service.getFunction('firehoseTransformer');
    const env = { ...this.serverless.service.provider.environment, ...transformer.environment };
    let bound;
    try {
      bound = partitionBound(loadLakeLayout(env));
    } catch (error) {
      throw new this.serverless.classes.Error(`Lake layout (serverless.yml custom.lake): ${error.message}`);
    }
    const write = (level, text) => (this.log?.[level] ? this.log[level](text) : console.log(text));
    write('notice', `Lake layout: active Firehose partitions ≤ ${bound.formula}`);
    if (bound.warning) write('warning', bound.warning);
  }
}

module.exports = LakeLayoutBound;
