// Forked by bench/fork-child.ts (plain node, no hooks): forks the real child, relays its IPC
// messages, and exits with it. Why a middle process: Linux keeps a process's peak RSS across
// fork + exec (getrusage's ru_maxrss starts at the parent's high-water mark), so a child forked
// straight from the benchmark, hundreds of MB by then, would report the benchmark's peak as its
// own. Forked from this small process instead, the child's maxRSS starts at ~40 MB.
// Usage: node clean-rusage-launcher.cjs <script> <execArgv as JSON>
'use strict';
const { fork } = require('node:child_process');

const [script, execArgvJson] = process.argv.slice(2);
const child = fork(script, [], {
  execArgv: JSON.parse(execArgvJson ?? '[]'),
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});

let relayed = Promise.resolve();
child.on('message', (message) => {
  relayed = relayed.then(
    () => new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve())),
  );
});
child.on('error', (error) => {
  process.stderr.write(`clean-rusage-launcher: ${error.stack ?? error}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  relayed.then(() => process.exit(code ?? (signal ? 1 : 0)));
});
// The benchmark going away takes both processes with it (the child also exits on its own disconnect).
process.on('disconnect', () => {
  child.kill('SIGKILL');
  process.exit(0);
});
