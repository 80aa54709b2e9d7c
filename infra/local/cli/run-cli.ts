/**
 * Runs a CLI's `main` as the process: exits with its code, or, when it throws, writes the one
 * line `failureLine` makes of the error to stderr and exits with that line's code (no stack trace).
 */
export const runCli = (
  main: () => Promise<number>,
  failureLine: (error: unknown) => { line: string; code: number },
): void => {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const { line, code } = failureLine(error);
      process.stderr.write(`${line}\n`);
      process.exit(code);
    },
  );
};
