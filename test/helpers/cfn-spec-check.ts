// Checks a CloudFormation template against the CloudFormation resource specification (the JSON
// format @aws-cdk/cfnspec ships: ResourceTypes and PropertyTypes with PrimitiveType / Type / ItemType
// / Required / Attributes, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-resource-specification-format.html)
// and returns the problems it finds, so a test can assert there are none: every resource type and
// property exists, with its type (primitive, list, map or property type); required properties are
// present; every Fn::GetAtt names an attribute of its resource's type; every Ref and Fn::Sub
// variable resolves (pseudo parameter, parameter, resource, Fn::Sub's own variable map); every
// condition, mapping and DependsOn target exists.
//
// Intrinsic functions stand for values (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html):
// they are accepted where their result fits (a Ref or Fn::Sub for a scalar, Fn::Split or a list
// parameter for a list, Fn::If when each branch fits, `Ref: AWS::NoValue` anywhere), and their own
// arguments are checked for references. CloudFormation converts scalars where a template gives
// another scalar type ('3' for an Integer, 3 for a String, 'true' for a Boolean), so those pass, as
// cfn-lint's default (non-strict) type checks let them.
import type { schema } from '@aws-cdk/cfnspec';
import { describeShape, type Expected, expectedOf, primitiveMatches, type SpecProperty } from './cfn-spec-shapes';

export type SpecProblemCode =
  | 'UNKNOWN_SECTION'
  | 'UNKNOWN_RESOURCE_TYPE'
  | 'UNKNOWN_RESOURCE_ATTRIBUTE'
  | 'UNKNOWN_PROPERTY'
  | 'WRONG_TYPE'
  | 'MISSING_REQUIRED'
  | 'UNKNOWN_ATTRIBUTE'
  | 'UNRESOLVED_REF'
  | 'UNRESOLVED_GETATT'
  | 'UNRESOLVED_SUB_VARIABLE'
  | 'UNKNOWN_CONDITION'
  | 'UNKNOWN_MAPPING'
  | 'UNRESOLVED_DEPENDS_ON'
  | 'BAD_INTRINSIC';

export interface SpecProblem {
  code: SpecProblemCode;
  /** Where, e.g. `Resources.LakeBucket.Properties.BucketEncryption`. */
  path: string;
  message: string;
}

/** What an intrinsic function yields; `novalue` is AWS::NoValue (the property is removed). */
type Yield = 'scalar' | 'list' | 'any' | 'novalue';

const SECTIONS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-product-attribute-reference.html
const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
  'CreationPolicy',
  'UpdatePolicy',
]);
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);
const INTRINSICS = new Set([
  'Ref',
  'Fn::GetAtt',
  'Fn::Sub',
  'Fn::Join',
  'Fn::If',
  'Fn::ImportValue',
  'Fn::Select',
  'Fn::Split',
  'Fn::FindInMap',
  'Fn::Base64',
  'Fn::GetAZs',
  'Fn::Cidr',
  'Fn::Length',
  'Fn::ToJsonString',
]);

interface Context {
  spec: schema.Specification;
  parameters: Record<string, { Type?: unknown }>;
  resources: Record<string, { Type?: unknown }>;
  conditions: Record<string, unknown>;
  mappings: Record<string, unknown>;
  problems: SpecProblem[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isCustomType = (type: string): boolean =>
  type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

/** `[name, args]` when `value` is an intrinsic function call (one key, `Ref` or `Fn::…`). */
const intrinsicOf = (value: unknown): [string, unknown] | undefined => {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  const [name] = keys;
  return keys.length === 1 && name !== undefined && (name === 'Ref' || name.startsWith('Fn::'))
    ? [name, value[name]]
    : undefined;
};

const isNoValue = (value: unknown): boolean => isObject(value) && value.Ref === 'AWS::NoValue';

const report = (ctx: Context, code: SpecProblemCode, path: string, message: string): void => {
  ctx.problems.push({ code, path, message });
};

// --- Values ------------------------------------------------------------------------------------

const accepts = (expected: Expected, yielded: Yield): boolean => {
  if (yielded === 'novalue' || expected.kind === 'any') return true;
  switch (expected.kind) {
    case 'primitive':
      return yielded === 'scalar' || yielded === 'any';
    case 'list':
      return yielded === 'list' || yielded === 'any';
    case 'union':
      return expected.options.some((option) => accepts(option, yielded));
    default:
      // No function but Fn::If yields an object.
      return false;
  }
};

const checkValue = (ctx: Context, value: unknown, expected: Expected, path: string, resourceType: string): void => {
  const intrinsic = intrinsicOf(value);
  if (intrinsic !== undefined) {
    checkIntrinsic(ctx, intrinsic[0], intrinsic[1], path, resourceType, expected);
    return;
  }
  switch (expected.kind) {
    case 'any':
      walk(ctx, value, path);
      return;
    case 'primitive':
      if (!primitiveMatches(expected.type, value)) {
        report(ctx, 'WRONG_TYPE', path, `${JSON.stringify(value)} is not of type ${expected.type}`);
      } else if (expected.type === 'Json') walk(ctx, value, path);
      return;
    case 'list':
      if (!Array.isArray(value)) {
        report(ctx, 'WRONG_TYPE', path, `${describeShape(expected)} expected, not ${JSON.stringify(value)}`);
        return;
      }
      value.forEach((item, index) => {
        checkValue(ctx, item, expected.item, `${path}[${index}]`, resourceType);
      });
      return;
    case 'map':
      if (!isObject(value)) {
        report(ctx, 'WRONG_TYPE', path, `${describeShape(expected)} expected, not ${JSON.stringify(value)}`);
        return;
      }
      for (const [key, item] of Object.entries(value)) {
        checkValue(ctx, item, expected.item, `${path}.${key}`, resourceType);
      }
      return;
    case 'record':
      if (!isObject(value)) {
        report(ctx, 'WRONG_TYPE', path, `${expected.name} (an object) expected, not ${JSON.stringify(value)}`);
        return;
      }
      checkRecord(ctx, value, expected, path, resourceType);
      return;
    case 'union': {
      // The option that fits best: none of its problems if one fits.
      const attempts = expected.options.map((option) => {
        const scratch: Context = { ...ctx, problems: [] };
        checkValue(scratch, value, option, path, resourceType);
        return scratch.problems;
      });
      const best = attempts.reduce((a, b) => (b.length < a.length ? b : a));
      ctx.problems.push(...best);
      return;
    }
  }
};

const checkRecord = (
  ctx: Context,
  value: Record<string, unknown>,
  expected: Extract<Expected, { kind: 'record' }>,
  path: string,
  resourceType: string,
): void => {
  for (const [key, item] of Object.entries(value)) {
    const property = expected.properties[key];
    if (property === undefined) {
      report(ctx, 'UNKNOWN_PROPERTY', `${path}.${key}`, `${key} is not a property of ${expected.name}`);
    } else {
      checkValue(ctx, item, expectedOf(ctx.spec, resourceType, property), `${path}.${key}`, resourceType);
    }
  }
  for (const [key, property] of Object.entries(expected.properties)) {
    if (property.Required === true && (!(key in value) || isNoValue(value[key]))) {
      report(ctx, 'MISSING_REQUIRED', `${path}.${key}`, `${expected.name} requires ${key}`);
    }
  }
};

/** Checks the references inside any value (a Json property, an output, a function's arguments). */
const walk = (ctx: Context, value: unknown, path: string): void => {
  const intrinsic = intrinsicOf(value);
  if (intrinsic !== undefined) checkIntrinsic(ctx, intrinsic[0], intrinsic[1], path, undefined, { kind: 'any' });
  else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      walk(ctx, item, `${path}[${index}]`);
    });
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) walk(ctx, item, `${path}.${key}`);
  }
};

// --- References --------------------------------------------------------------------------------

const refYield = (ctx: Context, name: string): Yield | undefined => {
  if (name === 'AWS::NoValue') return 'novalue';
  if (name === 'AWS::NotificationARNs') return 'list';
  if (PSEUDO_PARAMETERS.has(name) || name in ctx.resources) return 'scalar';
  const parameter = ctx.parameters[name];
  if (parameter === undefined) return undefined;
  return /List<|CommaDelimitedList/.test(String(parameter.Type)) ? 'list' : 'scalar';
};

/** Checks `resource.attribute`; what it yields, or undefined when it does not resolve (reported). */
const attributeYield = (
  ctx: Context,
  logicalId: string,
  attribute: unknown,
  path: string,
  unresolved: SpecProblemCode,
): Yield | undefined => {
  const resource = ctx.resources[logicalId];
  if (resource === undefined) {
    report(ctx, unresolved, path, `${logicalId} is not a resource of the template`);
    return undefined;
  }
  if (typeof attribute !== 'string') {
    walk(ctx, attribute, path);
    return 'any';
  }
  const type = String(resource.Type);
  const resourceSpec = ctx.spec.ResourceTypes[type];
  if (isCustomType(type) || resourceSpec === undefined) return 'any';
  if (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) return 'scalar';
  const found = resourceSpec.Attributes?.[attribute] as SpecProperty | undefined;
  if (found === undefined) {
    report(ctx, 'UNKNOWN_ATTRIBUTE', path, `${type} has no attribute ${attribute} (${logicalId}.${attribute})`);
    return undefined;
  }
  return found.Type === 'List' ? 'list' : found.Type === 'Map' ? 'any' : 'scalar';
};

const checkSub = (ctx: Context, args: unknown, path: string): void => {
  const [text, variables] = Array.isArray(args) ? args : [args, {}];
  if (typeof text !== 'string' || !isObject(variables) || (Array.isArray(args) && args.length !== 2)) {
    report(ctx, 'BAD_INTRINSIC', path, 'Fn::Sub takes a string or [string, {variables}]');
    return;
  }
  for (const [name, value] of Object.entries(variables)) walk(ctx, value, `${path}.${name}`);
  for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
    const name = (match[1] ?? '').trim();
    // ${!Literal} is written out as ${Literal}.
    if (name.startsWith('!') || name in variables) continue;
    const dot = name.indexOf('.');
    if (dot > 0) {
      attributeYield(ctx, name.slice(0, dot), name.slice(dot + 1), path, 'UNRESOLVED_SUB_VARIABLE');
    } else if (refYield(ctx, name) === undefined) {
      report(
        ctx,
        'UNRESOLVED_SUB_VARIABLE',
        path,
        `\${${name}} is no parameter, resource, pseudo parameter or variable`,
      );
    }
  }
};

const checkConditionName = (ctx: Context, name: unknown, path: string): void => {
  if (typeof name !== 'string' || !(name in ctx.conditions)) {
    report(ctx, 'UNKNOWN_CONDITION', path, `${JSON.stringify(name)} is not a condition of the template`);
  }
};

const argsList = (
  ctx: Context,
  name: string,
  args: unknown,
  path: string,
  lengths: number[],
): unknown[] | undefined => {
  if (Array.isArray(args) && lengths.includes(args.length)) return args;
  report(ctx, 'BAD_INTRINSIC', path, `${name} takes a list of ${lengths.join(' or ')} arguments`);
  return undefined;
};

/** What the function yields (after reporting unresolved references), or 'novalue' when handled. */
const intrinsicYield = (
  ctx: Context,
  name: string,
  args: unknown,
  path: string,
  resourceType: string | undefined,
  expected: Expected,
): Yield | undefined => {
  const at = `${path}.${name}`;
  switch (name) {
    case 'Ref': {
      if (typeof args !== 'string') {
        report(ctx, 'BAD_INTRINSIC', at, 'Ref takes a name');
        return undefined;
      }
      const yielded = refYield(ctx, args);
      if (yielded === undefined) {
        report(ctx, 'UNRESOLVED_REF', at, `${args} is no parameter, resource or pseudo parameter`);
      }
      return yielded;
    }
    case 'Fn::GetAtt': {
      const dot = typeof args === 'string' ? args.indexOf('.') : -1;
      const parts = typeof args === 'string' && dot > 0 ? [args.slice(0, dot), args.slice(dot + 1)] : args;
      if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== 'string' || parts[0] === '') {
        report(ctx, 'BAD_INTRINSIC', at, 'Fn::GetAtt takes [resource, attribute] or "resource.attribute"');
        return undefined;
      }
      return attributeYield(ctx, parts[0], parts[1], at, 'UNRESOLVED_GETATT');
    }
    case 'Fn::Sub':
      checkSub(ctx, args, at);
      return 'scalar';
    case 'Fn::If': {
      const list = argsList(ctx, name, args, at, [3]);
      if (list === undefined) return undefined;
      checkConditionName(ctx, list[0], `${at}[0]`);
      // Each branch must fit where the Fn::If stands.
      for (const index of [1, 2]) {
        if (resourceType === undefined) walk(ctx, list[index], `${at}[${index}]`);
        else checkValue(ctx, list[index], expected, `${at}[${index}]`, resourceType);
      }
      return 'novalue';
    }
    case 'Fn::FindInMap': {
      const list = argsList(ctx, name, args, at, [3, 4]);
      if (list === undefined) return undefined;
      if (typeof list[0] === 'string' && !(list[0] in ctx.mappings)) {
        report(ctx, 'UNKNOWN_MAPPING', at, `${list[0]} is not a mapping of the template`);
      }
      walk(ctx, list, at);
      return 'any';
    }
    case 'Fn::Join':
      if (argsList(ctx, name, args, at, [2]) === undefined) return undefined;
      walk(ctx, args, at);
      return 'scalar';
    case 'Fn::Select':
    case 'Fn::Split':
      if (argsList(ctx, name, args, at, [2]) === undefined) return undefined;
      walk(ctx, args, at);
      return name === 'Fn::Split' ? 'list' : 'any';
    case 'Fn::Cidr':
      if (argsList(ctx, name, args, at, [2, 3]) === undefined) return undefined;
      walk(ctx, args, at);
      return 'list';
    case 'Fn::GetAZs':
      walk(ctx, args, at);
      return 'list';
    case 'Fn::ImportValue':
    case 'Fn::Base64':
    case 'Fn::Length':
    case 'Fn::ToJsonString':
      walk(ctx, args, at);
      return 'scalar';
    default:
      report(ctx, 'BAD_INTRINSIC', at, `${name} is not an intrinsic function CloudFormation accepts here`);
      return undefined;
  }
};

const checkIntrinsic = (
  ctx: Context,
  name: string,
  args: unknown,
  path: string,
  resourceType: string | undefined,
  expected: Expected,
): void => {
  if (!INTRINSICS.has(name)) {
    report(ctx, 'BAD_INTRINSIC', `${path}.${name}`, `${name} is not an intrinsic function CloudFormation accepts here`);
    return;
  }
  const yielded = intrinsicYield(ctx, name, args, path, resourceType, expected);
  if (yielded !== undefined && !accepts(expected, yielded)) {
    report(
      ctx,
      'WRONG_TYPE',
      path,
      `${name} yields ${yielded === 'list' ? 'a list' : 'a scalar'}; ${describeShape(expected)} expected`,
    );
  }
};

/** A Conditions entry: Fn::And / Or / Not of conditions, Fn::Equals of values, or `Condition: name`. */
const walkCondition = (ctx: Context, value: unknown, path: string): void => {
  const intrinsic = isObject(value) && Object.keys(value).length === 1 ? Object.entries(value)[0] : undefined;
  if (intrinsic === undefined) {
    report(ctx, 'BAD_INTRINSIC', path, 'a condition is Fn::And, Fn::Or, Fn::Not, Fn::Equals or Condition');
    return;
  }
  const [name, args] = intrinsic;
  const at = `${path}.${name}`;
  if (name === 'Condition') checkConditionName(ctx, args, at);
  else if (name === 'Fn::Equals') {
    if (argsList(ctx, name, args, at, [2]) !== undefined) walk(ctx, args, at);
  } else if (name === 'Fn::Not' || name === 'Fn::And' || name === 'Fn::Or') {
    const list = argsList(ctx, name, args, at, name === 'Fn::Not' ? [1] : [2, 3, 4, 5, 6, 7, 8, 9, 10]);
    list?.forEach((item, index) => {
      walkCondition(ctx, item, `${at}[${index}]`);
    });
  } else {
    report(ctx, 'BAD_INTRINSIC', at, `${name} is not a condition function`);
  }
};

// --- The template ------------------------------------------------------------------------------

const checkResource = (ctx: Context, logicalId: string, resource: unknown): void => {
  const path = `Resources.${logicalId}`;
  if (!isObject(resource) || typeof resource.Type !== 'string') {
    report(ctx, 'MISSING_REQUIRED', `${path}.Type`, 'a resource needs a Type');
    return;
  }
  for (const key of Object.keys(resource)) {
    if (!RESOURCE_ATTRIBUTES.has(key)) {
      report(ctx, 'UNKNOWN_RESOURCE_ATTRIBUTE', `${path}.${key}`, `${key} is not a resource attribute`);
    }
  }
  if (resource.Condition !== undefined) checkConditionName(ctx, resource.Condition, `${path}.Condition`);
  const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
  for (const target of dependsOn) {
    if (typeof target !== 'string' || !(target in ctx.resources)) {
      report(ctx, 'UNRESOLVED_DEPENDS_ON', `${path}.DependsOn`, `${JSON.stringify(target)} is not a resource`);
    }
  }

  const type = resource.Type;
  const properties = resource.Properties ?? {};
  const propertiesPath = `${path}.Properties`;
  if (isCustomType(type)) {
    walk(ctx, properties, propertiesPath);
    return;
  }
  const resourceSpec = ctx.spec.ResourceTypes[type];
  if (resourceSpec === undefined) {
    report(ctx, 'UNKNOWN_RESOURCE_TYPE', `${path}.Type`, `${type} is not a resource type of the specification`);
    walk(ctx, properties, propertiesPath);
    return;
  }
  const expected: Expected = {
    kind: 'record',
    name: type,
    properties: (resourceSpec.Properties ?? {}) as Record<string, SpecProperty>,
  };
  checkValue(ctx, properties, expected, propertiesPath, type);
};

const section = (ctx: Context, template: Record<string, unknown>, name: string): Record<string, unknown> => {
  const value = template[name] ?? {};
  if (isObject(value)) return value;
  report(ctx, 'WRONG_TYPE', name, `${name} must be an object`);
  return {};
};

/** The problems of `template` against `spec` (the CloudFormation resource specification); [] when none. */
export const checkTemplate = (template: unknown, spec: schema.Specification): SpecProblem[] => {
  const ctx: Context = { spec, parameters: {}, resources: {}, conditions: {}, mappings: {}, problems: [] };
  if (!isObject(template) || !isObject(template.Resources)) {
    report(ctx, 'MISSING_REQUIRED', 'Resources', 'a template needs a Resources object');
    return ctx.problems;
  }
  for (const key of Object.keys(template)) {
    if (!SECTIONS.has(key)) report(ctx, 'UNKNOWN_SECTION', key, `${key} is not a template section`);
  }
  ctx.parameters = section(ctx, template, 'Parameters') as Context['parameters'];
  ctx.resources = section(ctx, template, 'Resources') as Context['resources'];
  ctx.conditions = section(ctx, template, 'Conditions');
  ctx.mappings = section(ctx, template, 'Mappings');

  for (const [name, parameter] of Object.entries(ctx.parameters)) {
    if (!isObject(parameter) || typeof parameter.Type !== 'string') {
      report(ctx, 'MISSING_REQUIRED', `Parameters.${name}.Type`, 'a parameter needs a Type');
    }
  }
  for (const [name, condition] of Object.entries(ctx.conditions)) walkCondition(ctx, condition, `Conditions.${name}`);
  for (const [logicalId, resource] of Object.entries(ctx.resources)) checkResource(ctx, logicalId, resource);
  for (const [name, output] of Object.entries(section(ctx, template, 'Outputs'))) {
    const path = `Outputs.${name}`;
    if (!isObject(output) || output.Value === undefined) {
      report(ctx, 'MISSING_REQUIRED', `${path}.Value`, 'an output needs a Value');
      continue;
    }
    if (output.Condition !== undefined) checkConditionName(ctx, output.Condition, `${path}.Condition`);
    walk(ctx, output.Value, `${path}.Value`);
    if (output.Export !== undefined) walk(ctx, output.Export, `${path}.Export`);
  }
  return ctx.problems;
};
