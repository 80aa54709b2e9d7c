import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (user + system, ms) of this process and of each local server it started
 * (kinesalite, dynalite, s3rver: the children running infra/local/runtime/server-process.cjs),
 * read from /proc. Linux only: elsewhere only this process is reported.
 */
export type CpuSnapshot = Record<string, number>;

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the bench runs on.

const childServers = (): { name: string; pid: number }[] => {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: { name: string; pid: number }[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const script = argv.findIndex((arg) => arg.endsWith('server-process.cjs'));
      if (script !== -1 && argv[script + 1]) out.push({ name: argv[script + 1] as string, pid: Number(entry) });
    } catch {
      // The process exited meanwhile.
    }
  }
  return out;
};

const procCpuMs = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
};

export const cpuSnapshot = (): CpuSnapshot => {
  const usage = process.cpuUsage();
  const snapshot: CpuSnapshot = { 'bench process': (usage.user + usage.system) / 1000 };
  for (const { name, pid } of childServers()) {
    const ms = procCpuMs(pid);
    if (ms !== undefined) snapshot[name] = ms;
  }
  return snapshot;
};

/** CPU ms each process used between two snapshots (processes present in both). */
export const cpuDelta = (before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot => {
  const delta: CpuSnapshot = {};
  for (const [name, ms] of Object.entries(after)) {
    const start = before[name];
    if (start !== undefined) delta[name] = ms - start;
  }
  return delta;
};
