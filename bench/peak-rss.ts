import { readFileSync } from 'node:fs';

/** VmHWM of /proc/self/status (this address space's peak RSS), KiB; Linux only, else nothing. */
export const vmHwm = (): { vmHwmKiB?: number } => {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? { vmHwmKiB: Number(match[1]) } : {};
  } catch {
    return {};
  }
};
