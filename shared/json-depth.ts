/**
 * JSON nested deeper than MAX_JSON_DEPTH is rejected with its own reason code (JSON_TOO_DEEP),
 * before it is parsed: V8's JSON.parse, the schema validators and JSON.stringify all recurse per
 * level, so a deep enough payload ends in "Maximum call stack size exceeded" somewhere. 32 levels
 * is far more than any supported shape needs (the canonical event nests 3 deep before `data`).
 */
export const MAX_JSON_DEPTH = 32;

/** True when `text`'s objects and arrays nest deeper than `max` (brackets inside strings do not count). */
export const exceedsJsonDepth = (text: string, max = MAX_JSON_DEPTH): boolean => {
  // Fast path: fewer opening brackets than the limit cannot nest deeper (most records).
  let opens = 0;
  for (let i = text.indexOf('{'); i !== -1 && opens <= max; i = text.indexOf('{', i + 1)) opens++;
  for (let i = text.indexOf('['); i !== -1 && opens <= max; i = text.indexOf('[', i + 1)) opens++;
  if (opens <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
};

export const jsonTooDeepMessage = (what: string): string =>
  `${what} nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`;
