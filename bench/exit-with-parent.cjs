// Preloaded (node --require) into the dynalite child the benchmark spawns: the parent
// holds the other end of this process's stdin pipe, so when the parent exits for any
// reason (even SIGKILL) stdin ends and the server exits with it. No orphans.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
