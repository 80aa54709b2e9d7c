import { parseArgs } from 'node:util';

/** The option problems every local CLI names the same way (its own error class carries the reason). */
export type OptionProblem =
  | 'UnknownOption'
  | 'UnexpectedArgument'
  | 'MissingValue'
  | 'UnexpectedValue'
  | 'RepeatedOption';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

export interface ReadOptions<Names extends string> {
  /** `--help` (or -h) anywhere: the rest is not checked. */
  help: boolean;
  /** Each option given, with its values in order ('' for a flag). */
  values: Map<Names, string[]>;
  positionals: string[];
}

/**
 * argv read token by token (parseArgs in non-strict mode, so every problem gets a message naming
 * the option rather than parseArgs' own): unknown options, a missing value (`--events` last, or
 * followed by another option: `--input=-file` for such a name), a value given to a flag, an option
 * given twice unless `multiple`, and positionals unless `allowPositionals`.
 */
export const readOptions = <Spec extends OptionSpec>(
  argv: readonly string[],
  options: Spec,
  fail: (problem: OptionProblem, message: string) => Error,
  { helpHint, allowPositionals = false }: { helpHint: string; allowPositionals?: boolean },
): ReadOptions<Extract<keyof Spec, string>> => {
  type Name = Extract<keyof Spec, string>;
  const isOption = (name: string): name is Name => Object.hasOwn(options, name);
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, tokens: true, allowPositionals: true });
  const values = new Map<Name, string[]>();
  const positionals: string[] = [];
  const help = tokens.some((token) => token.kind === 'option' && token.name === 'help');
  if (help) return { help, values, positionals };
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (!allowPositionals) throw fail('UnexpectedArgument', `unexpected argument '${token.value}'${helpHint}`);
      positionals.push(token.value);
      continue;
    }
    const { name, rawName, value, inlineValue } = token;
    if (!isOption(name)) throw fail('UnknownOption', `unknown option ${rawName}${helpHint}`);
    const option = options[name];
    if (option?.type === 'boolean') {
      if (value !== undefined) throw fail('UnexpectedValue', `${rawName} takes no value, got '${value}'`);
    } else if (value === undefined || (!inlineValue && value.startsWith('-'))) {
      throw fail('MissingValue', `${rawName} needs a value${helpHint}`);
    }
    const seen = values.get(name) ?? [];
    if (seen.length > 0 && option?.multiple !== true)
      throw fail('RepeatedOption', `${rawName} is given twice: give it once`);
    values.set(name, [...seen, value ?? '']);
  }
  return { help, values, positionals };
};
