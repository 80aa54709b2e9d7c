/**
 * A pattern EventBridge's PutRule would reject. `path` names the offending part of the pattern
 * (`detail.eventType[0]`, `$or[1].source`); `reason` is the problem without the path.
 */
export class EventPatternError extends Error {
  override readonly name = 'EventPatternError';
  readonly code = 'INVALID_EVENT_PATTERN';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path === '' ? `event pattern: ${reason}` : `event pattern: ${path}: ${reason}`);
  }
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `detail` + `state` → `detail.state`; the root has no name. */
export const childPath = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** How a pattern value reads in a message: short, and unambiguous about its JSON type. */
export const showValue = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};
