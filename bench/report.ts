/** Plain-text tables and number formatting for the benchmark report. */

export const table = (headers: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(headers), rule, ...rows.map(line)].join('\n');
};

export const ms = (value: number): string => `${value.toFixed(1)} ms`;
export const us = (value: number): string => `${value.toFixed(2)} µs`;
export const ratio = (value: number): string => `${value.toFixed(2)}×`;
export const int = (value: number): string => value.toLocaleString('en-US');

export const verdict = (value: number, target: number): 'PASS' | 'MISS' => (value <= target ? 'PASS' : 'MISS');

/** Indents every line of a block, for details under a heading. */
export const indent = (text: string, spaces = 3): string =>
  text
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');
