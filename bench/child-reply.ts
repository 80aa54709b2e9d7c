/**
 * How a bench child (run by fork-child.ts runChild) answers: one message over IPC, or JSON on
 * stdout when run by hand, then exit, since the open IPC channel and the SDK's keep-alive sockets
 * would hold the process open. A failure is `{ error }` with the stack, exit 1.
 */
export const reply = (message: unknown, code: number): void => {
  if (process.send) process.send(message, () => process.exit(code));
  else {
    process.stdout.write(`${JSON.stringify(message, null, 2)}\n`);
    process.exit(code);
  }
};

export const replyFailure = (error: unknown): void => reply({ error: String((error as Error)?.stack ?? error) }, 1);
