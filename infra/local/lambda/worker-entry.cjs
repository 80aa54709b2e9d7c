'use strict';
// A worker thread's entry: TypeScript through tsx (this thread has no loader of its own), then
// the function's module and the invocation loop.
const { parentPort, workerData } = require('node:worker_threads');
require('tsx/cjs/api').register();
require('./worker-runtime.ts').runWorker(parentPort, workerData);
