// A template as CloudFormation deploys it when no parameter is passed (each parameter takes its
// Default, as osls deploys): conditions evaluated, every Fn::If replaced by the branch its condition
// picks, `Ref: AWS::NoValue` removed (from an object: the property; from a list: the item), Refs to
// parameters replaced by their value, and the resources and outputs whose Condition is false left
// out. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html
import type { CfnTemplate } from './packaged-template';

export class TemplateResolveError extends Error {
  override readonly name = 'TemplateResolveError';
  constructor(
    readonly reason: 'UNKNOWN_CONDITION' | 'UNSUPPORTED_CONDITION' | 'NO_PARAMETER_VALUE',
    message: string,
  ) {
    super(message);
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const singleKey = (value: unknown): [string, unknown] | undefined =>
  isObject(value) && Object.keys(value).length === 1 ? (Object.entries(value)[0] as [string, unknown]) : undefined;

/** Evaluates the template's conditions with the parameters' defaults. */
export const evaluateConditions = (template: CfnTemplate): Record<string, boolean> => {
  const parameters = template.Parameters ?? {};
  const definitions = template.Conditions ?? {};
  const results: Record<string, boolean> = {};

  const operand = (value: unknown): unknown => {
    const ref = singleKey(value);
    if (ref?.[0] !== 'Ref') return value;
    const name = String(ref[1]);
    const parameter = parameters[name];
    if (parameter === undefined || parameter.Default === undefined) {
      throw new TemplateResolveError('NO_PARAMETER_VALUE', `Ref ${name} in a condition has no default value`);
    }
    return parameter.Default;
  };
  const evaluate = (value: unknown): boolean => {
    const call = singleKey(value);
    const args = call?.[1];
    switch (call?.[0]) {
      case 'Fn::Equals': {
        const [a, b] = args as [unknown, unknown];
        return String(operand(a)) === String(operand(b));
      }
      case 'Fn::Not':
        return !evaluate((args as unknown[])[0]);
      case 'Fn::And':
        return (args as unknown[]).every(evaluate);
      case 'Fn::Or':
        return (args as unknown[]).some(evaluate);
      case 'Condition':
        return named(String(args));
      default:
        throw new TemplateResolveError('UNSUPPORTED_CONDITION', `cannot evaluate ${JSON.stringify(value)}`);
    }
  };
  const named = (name: string): boolean => {
    if (!(name in definitions)) throw new TemplateResolveError('UNKNOWN_CONDITION', `no condition ${name}`);
    results[name] ??= evaluate(definitions[name]);
    return results[name];
  };
  for (const name of Object.keys(definitions)) named(name);
  return results;
};

/** The template as deployed with the parameters' defaults (see the top of this file). */
export const resolveTemplate = (template: CfnTemplate): CfnTemplate => {
  const conditions = evaluateConditions(template);
  const parameters = template.Parameters ?? {};
  const holds = (name: unknown): boolean => {
    const result = conditions[String(name)];
    if (result === undefined) throw new TemplateResolveError('UNKNOWN_CONDITION', `no condition ${String(name)}`);
    return result;
  };

  const resolve = (value: unknown): unknown => {
    const call = singleKey(value);
    if (call?.[0] === 'Ref' && call[1] === 'AWS::NoValue') return NO_VALUE;
    if (call?.[0] === 'Ref' && typeof call[1] === 'string' && parameters[call[1]]?.Default !== undefined) {
      return parameters[call[1]]?.Default;
    }
    if (call?.[0] === 'Fn::If') {
      const [condition, whenTrue, whenFalse] = call[1] as [string, unknown, unknown];
      return resolve(holds(condition) ? whenTrue : whenFalse);
    }
    if (Array.isArray(value)) return value.map(resolve).filter((item) => item !== NO_VALUE);
    if (isObject(value)) {
      return Object.fromEntries(
        Object.entries(value)
          .map(([key, item]) => [key, resolve(item)] as const)
          .filter(([, item]) => item !== NO_VALUE),
      );
    }
    return value;
  };
  const kept = <T extends { Condition?: string }>(entries: Record<string, T>): Record<string, T> =>
    Object.fromEntries(
      Object.entries(entries)
        .filter(([, entry]) => entry.Condition === undefined || holds(entry.Condition))
        .map(([key, entry]) => [key, resolve(entry) as T]),
    );

  return {
    ...template,
    Resources: kept(template.Resources),
    ...(template.Outputs && { Outputs: kept(template.Outputs) }),
  };
};
