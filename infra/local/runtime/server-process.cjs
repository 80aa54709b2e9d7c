// One local AWS-compatible server in its own process, on 127.0.0.1 and a port the OS picks.
// Usage (forked with an IPC channel): node server-process.cjs <kinesalite|dynalite|s3rver> [dataDir [--owned]]
// Prints nothing; sends {ready, port} over IPC. Exits when the parent goes away, so no orphans.
// It runs in a process group and session of its own (forked detached: a Ctrl-C in the terminal does
// not reach it), so the terminal cannot end it: the IPC channel's 'disconnect' does, which comes
// however the parent ends (exit, crash, SIGKILL), since the kernel closes the parent's end.
'use strict';

const [service, dataDir, ownership] = process.argv.slice(2);
const HOST = '127.0.0.1';

const listen = async () => {
  switch (service) {
    case 'kinesalite': {
      const server = require('kinesalite')({
        createStreamMs: 50,
        deleteStreamMs: 50,
        updateStreamMs: 50,
        shardLimit: 100,
      });
      await new Promise((resolve, reject) => server.listen(0, HOST, resolve).on('error', reject));
      return server.address().port;
    }
    case 'dynalite': {
      const server = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
      await new Promise((resolve, reject) => server.listen(0, HOST, resolve).on('error', reject));
      return server.address().port;
    }
    case 's3rver': {
      if (!dataDir) throw new Error('s3rver needs a data directory');
      const S3rver = require('s3rver');
      const server = new S3rver({ address: HOST, port: 0, directory: dataDir, silent: true });
      const { port } = await server.run();
      return port;
    }
    default:
      throw new Error(`Unknown local service "${service}"`);
  }
};

// A data directory the parent made for this run goes with the server, even when the parent
// was killed before it could clean up.
const exit = () => {
  if (ownership === '--owned' && dataDir) require('node:fs').rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('disconnect', exit);
process.on('SIGTERM', exit);
process.on('SIGINT', exit);

listen().then(
  (port) => process.send?.({ ready: true, port }),
  (error) => {
    process.send?.({ ready: false, error: String(error?.stack ?? error) });
    process.exit(1);
  },
);
