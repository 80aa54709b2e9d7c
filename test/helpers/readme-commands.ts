/**
 * Reading a README's commands and transcripts (test/integration/readme-commands.test.ts): the
 * commands of its ```sh blocks and `$ ` lines, what it shows a command prints, and a matcher for
 * shown JSON in which `…` marks what was left out.
 */

export const WILD = '…';

export interface Block {
  /** The fence's info string: `sh`, `json`, or '' for a plain block. */
  info: string;
  lines: string[];
}

export const fencedBlocks = (markdown: string): Block[] => {
  const blocks: Block[] = [];
  let current: Block | undefined;
  for (const line of markdown.split('\n')) {
    const fence = /^```(\S*)\s*$/.exec(line);
    if (!fence) current?.lines.push(line);
    else if (current) {
      blocks.push(current);
      current = undefined;
    } else current = { info: fence[1] ?? '', lines: [] };
  }
  return blocks;
};

/** One command as a reader runs it: continuations joined, the trailing comment left out. */
export const normalize = (command: string): string =>
  command
    .replace(/\s+#\s.*$/, '')
    .replace(/\s+/g, ' ')
    .trim();

const PROJECT_COMMAND = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npm|npx|curl|node|tsx)(?:\s|$)/;
const isShell = (block: Block) => ['sh', 'bash', 'shell'].includes(block.info);

/** The commands of every ```sh block, and of every `$ ` line of other blocks, that run the project's tools. */
export const readmeCommands = (markdown: string): string[] => {
  const commands = new Set<string>();
  for (const block of fencedBlocks(markdown)) {
    let pending = '';
    for (const raw of block.lines) {
      if (!isShell(block) && !raw.startsWith('$ ')) continue;
      const line = isShell(block) ? raw : raw.slice(2);
      if (pending === '' && /^\s*#/.test(line)) continue;
      if (line.endsWith('\\')) {
        pending += `${line.slice(0, -1)} `;
        continue;
      }
      const command = normalize(pending + line);
      pending = '';
      if (PROJECT_COMMAND.test(command)) commands.add(command);
    }
  }
  return [...commands];
};

/** What a transcript block shows after `$ command`, up to the next `$ ` line. */
export const transcriptOf = (markdown: string, command: string): string[] => {
  for (const block of fencedBlocks(markdown).filter((candidate) => !isShell(candidate))) {
    const start = block.lines.findIndex((line) => line.startsWith('$ ') && normalize(line.slice(2)) === command);
    if (start < 0) continue;
    const next = block.lines.findIndex((line, index) => index > start && line.startsWith('$ '));
    return block.lines.slice(start + 1, next < 0 ? undefined : next);
  }
  throw new Error(`No transcript for ${command}`);
};

/** The plain block right after a ```sh block that holds `command`: what the README says it prints. */
export const printedAfter = (markdown: string, command: string): string[] => {
  const blocks = fencedBlocks(markdown);
  const shown = blocks.find((block, index) => {
    const before = blocks[index - 1];
    return (
      block.info === '' &&
      before !== undefined &&
      isShell(before) &&
      before.lines.some((line) => normalize(line) === command)
    );
  });
  if (!shown) throw new Error(`No output shown after ${command}`);
  return shown.lines.filter((line) => line.trim() !== '');
};

/** Shown JSON (a line or a block) with `…` for what is left out: keys (`,…}`), a value, array items, part of a string. */
export const parseShown = (text: string): unknown =>
  JSON.parse(
    text
      .replace(/,\s*…(?=\s*\})/g, '')
      .replace(/,\s*…(?=\s*\])/g, `, "${WILD}"`)
      .replace(/\[…\]|\{…\}/g, `"${WILD}"`)
      .replace(/^(\s*)…(,?)$/gm, `$1"${WILD}"$2`),
  );

/** Objects match on the keys shown, arrays item by item (only the first ones when the last shown is `…`), strings with `…` on their pieces. */
export const matches = (shown: unknown, actual: unknown): boolean => {
  if (shown === WILD) return true;
  if (typeof shown === 'string' && shown.includes(WILD)) {
    if (typeof actual !== 'string') return false;
    const [first = '', ...rest] = shown.split(WILD);
    const last = rest.pop() ?? '';
    if (!actual.startsWith(first) || !actual.endsWith(last)) return false;
    let at = first.length;
    for (const piece of rest) {
      const found = actual.indexOf(piece, at);
      if (found < 0) return false;
      at = found + piece.length;
    }
    return at <= actual.length - last.length;
  }
  if (Array.isArray(shown)) {
    if (!Array.isArray(actual)) return false;
    const open = shown.at(-1) === WILD;
    const items = open ? shown.slice(0, -1) : shown;
    if (open ? actual.length < items.length : actual.length !== items.length) return false;
    return items.every((item, index) => matches(item, actual[index]));
  }
  if (shown !== null && typeof shown === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(shown).every(
      ([key, value]) => Object.hasOwn(actual, key) && matches(value, (actual as Record<string, unknown>)[key]),
    );
  }
  return Object.is(shown, actual);
};

export const isJsonLine = (line: string): boolean => {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
};
