'use strict';
// Loads one of the project's TypeScript modules (and what it imports) from the CommonJS files the
// framework runs (serverless.yml's file variables, the plugins), through tsx's require hook,
// registered for that load only, so there is one implementation in shared/.
const requireTs = (path) => {
  const unregister = require('tsx/cjs/api').register();
  try {
    return require(path);
  } finally {
    unregister();
  }
};

module.exports = { requireTs };
