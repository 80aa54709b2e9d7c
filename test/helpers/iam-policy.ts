// The functions' IAM policies in a packaged template, made concrete, and IAM's evaluation of one
// request against them (identity-based policies only: the functions' roles have no boundary and
// the resources no policy that grants them anything).
// - Each AWS::Lambda::Function's `Role` (Fn::GetAtt [Role, Arn]) → the role's inline `Policies`,
//   its `ManagedPolicyArns` that are policies of the template, and the AWS::IAM::Policy /
//   ManagedPolicy resources that attach themselves to it (`Roles: [Ref: Role]`).
// - Ref, Fn::GetAtt Arn, Fn::Sub and Fn::Join resolved to ARNs with the given pseudo parameters
//   (conditions and Fn::If first, by cfn-resolve.ts).
// - Evaluation: an explicit Deny wins, else an Allow whose Action, Resource and Condition all
//   match, else an implicit deny
//   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
import { resolveTemplate } from './cfn-resolve';
import type { CfnResource, CfnTemplate } from './packaged-template';

export class IamPolicyError extends Error {
  override readonly name = 'IamPolicyError';
  constructor(
    readonly reason: 'UNRESOLVABLE' | 'UNSUPPORTED_CONDITION' | 'NO_ROLE',
    message: string,
  ) {
    super(message);
  }
}

export interface PseudoParameters {
  partition: string;
  region: string;
  accountId: string;
  stackName: string;
}

export interface PolicyStatement {
  /** `<policy name>/<Sid>` (or `#<index>` without a Sid). */
  id: string;
  effect: 'Allow' | 'Deny';
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  condition?: Record<string, Record<string, string[]>>;
}

export interface FunctionPolicy {
  /** The function's logical id (`S3DropLambdaFunction`). */
  logicalId: string;
  functionName: string;
  /** serverless.yml's `handler:` (`functions/s3-drop/handler.handler`). */
  handler: string;
  roleId: string;
  statements: PolicyStatement[];
}

/** One permission a request needs: IAM's request context, reduced to what the roles look at. */
export interface RequestedPermission {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

// --- Intrinsic functions ------------------------------------------------------------------------

const nameOf = (resource: CfnResource, property: string): string | undefined => {
  const value = resource.Properties?.[property];
  return typeof value === 'string' ? value : undefined;
};

/** The ARN of a template resource of the types the functions' policies name, from its literal name. */
export const resourceArn = (template: CfnTemplate, logicalId: string, pseudo: PseudoParameters): string => {
  const resource = template.Resources[logicalId];
  const { partition: p, region, accountId } = pseudo;
  const named = (property: string, arn: (name: string) => string): string => {
    const name = resource && nameOf(resource, property);
    if (name === undefined) throw new IamPolicyError('UNRESOLVABLE', `${logicalId} has no literal ${property}`);
    return arn(name);
  };
  switch (resource?.Type) {
    case 'AWS::S3::Bucket':
      return named('BucketName', (name) => `arn:${p}:s3:::${name}`);
    case 'AWS::Kinesis::Stream':
      return named('Name', (name) => `arn:${p}:kinesis:${region}:${accountId}:stream/${name}`);
    case 'AWS::KinesisFirehose::DeliveryStream':
      return named('DeliveryStreamName', (name) => `arn:${p}:firehose:${region}:${accountId}:deliverystream/${name}`);
    case 'AWS::DynamoDB::Table':
      return named('TableName', (name) => `arn:${p}:dynamodb:${region}:${accountId}:table/${name}`);
    case 'AWS::SQS::Queue':
      return named('QueueName', (name) => `arn:${p}:sqs:${region}:${accountId}:${name}`);
    case 'AWS::Events::EventBus':
      return named('Name', (name) => `arn:${p}:events:${region}:${accountId}:event-bus/${name}`);
    case 'AWS::Lambda::Function':
      return named('FunctionName', (name) => `arn:${p}:lambda:${region}:${accountId}:function:${name}`);
    case 'AWS::SNS::Topic':
      return named('TopicName', (name) => `arn:${p}:sns:${region}:${accountId}:${name}`);
    default:
      throw new IamPolicyError('UNRESOLVABLE', `no ARN for ${logicalId} (${resource?.Type ?? 'not in the template'})`);
  }
};

/** What `Ref` returns for the resource types the policies name (a queue's URL, otherwise its name). */
const resourceRef = (template: CfnTemplate, logicalId: string, pseudo: PseudoParameters): string => {
  const resource = template.Resources[logicalId];
  const property: Record<string, string> = {
    'AWS::S3::Bucket': 'BucketName',
    'AWS::Kinesis::Stream': 'Name',
    'AWS::KinesisFirehose::DeliveryStream': 'DeliveryStreamName',
    'AWS::DynamoDB::Table': 'TableName',
    'AWS::Events::EventBus': 'Name',
    'AWS::Lambda::Function': 'FunctionName',
    'AWS::IAM::Role': 'RoleName',
  };
  if (resource?.Type === 'AWS::SQS::Queue') {
    return `https://sqs.${pseudo.region}.amazonaws.com/${pseudo.accountId}/${nameOf(resource, 'QueueName')}`;
  }
  const name = resource && nameOf(resource, property[resource.Type] ?? '');
  if (name === undefined) throw new IamPolicyError('UNRESOLVABLE', `no literal value for Ref ${logicalId}`);
  return name;
};

const PSEUDO_NAMES: Record<string, keyof PseudoParameters> = {
  'AWS::Partition': 'partition',
  'AWS::Region': 'region',
  'AWS::AccountId': 'accountId',
  'AWS::StackName': 'stackName',
};

/** `value` with Ref, Fn::GetAtt (Arn), Fn::Sub and Fn::Join replaced by their values. */
export const resolveIntrinsics = (template: CfnTemplate, value: unknown, pseudo: PseudoParameters): unknown => {
  const named = (name: string): string => {
    const pseudoName = PSEUDO_NAMES[name];
    if (pseudoName) return pseudo[pseudoName];
    const [id, attribute] = name.split('.');
    if (attribute === undefined) return resourceRef(template, name, pseudo);
    if (attribute === 'Arn') return resourceArn(template, id as string, pseudo);
    throw new IamPolicyError('UNRESOLVABLE', `Fn::GetAtt ${name}`);
  };
  const resolve = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(resolve);
    if (!isObject(item)) return item;
    const [key, args] = Object.entries(item)[0] ?? [];
    if (Object.keys(item).length === 1 && (key === 'Ref' || key?.startsWith('Fn::'))) {
      switch (key) {
        case 'Ref':
          return named(String(args));
        case 'Fn::GetAtt':
          return named((args as string[]).join('.'));
        case 'Fn::Sub': {
          const [text, variables = {}] = (typeof args === 'string' ? [args] : args) as [
            string,
            Record<string, unknown>,
          ];
          // `${!Literal}` is written out as `${Literal}`.
          return text
            .replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) =>
              name in variables ? String(resolve(variables[name])) : named(name),
            )
            .replace(/\$\{!/g, '${');
        }
        case 'Fn::Join': {
          const [delimiter, parts] = args as [string, unknown[]];
          return (resolve(parts) as unknown[]).map(String).join(delimiter);
        }
        default:
          throw new IamPolicyError('UNRESOLVABLE', `${key} in a policy`);
      }
    }
    return Object.fromEntries(Object.entries(item).map(([name, inner]) => [name, resolve(inner)]));
  };
  return resolve(value);
};

// --- The functions' policies --------------------------------------------------------------------

interface PolicyDocument {
  Statement: Record<string, unknown> | Record<string, unknown>[];
}

const strings = (values: unknown, where: string): string[] =>
  list(values as unknown[]).map((value) => {
    if (typeof value !== 'string') throw new IamPolicyError('UNRESOLVABLE', `${where}: ${JSON.stringify(value)}`);
    return value;
  });

/** A policy document's statements, its intrinsic functions resolved first. */
const documentStatements = (policyName: string, document: PolicyDocument): PolicyStatement[] =>
  list(document.Statement).map((statement, index) => {
    const id = `${policyName}/${typeof statement.Sid === 'string' ? statement.Sid : `#${index}`}`;
    const element = (key: string): string[] | undefined =>
      statement[key] === undefined ? undefined : strings(statement[key], `${id} ${key}`);
    const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
    return {
      id,
      effect: statement.Effect === 'Deny' ? 'Deny' : 'Allow',
      ...(element('Action') && { action: element('Action') }),
      ...(element('NotAction') && { notAction: element('NotAction') }),
      ...(element('Resource') && { resource: element('Resource') }),
      ...(element('NotResource') && { notResource: element('NotResource') }),
      ...(condition && {
        condition: Object.fromEntries(
          Object.entries(condition).map(([operator, keys]) => [
            operator,
            Object.fromEntries(
              Object.entries(keys).map(([key, values]) => [key, strings(values, `${id} Condition ${operator}`)]),
            ),
          ]),
        ),
      }),
    };
  });

const refersTo = (value: unknown, logicalId: string): boolean =>
  isObject(value) && (value.Ref === logicalId || (list(value['Fn::GetAtt'] as string[])[0] ?? '') === logicalId);

/** Every function's role statements, as CloudFormation would deploy the template with its parameters' defaults. */
export const functionPolicies = (packaged: CfnTemplate, pseudo: PseudoParameters): FunctionPolicy[] => {
  const template = resolveTemplate(packaged);
  const resources = Object.entries(template.Resources);
  const statementsOf = (policyName: string, document: unknown): PolicyStatement[] =>
    documentStatements(policyName, resolveIntrinsics(template, document, pseudo) as PolicyDocument);
  return resources
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, fn]) => {
      const role = fn.Properties?.Role;
      const roleId = isObject(role) ? list(role['Fn::GetAtt'] as string[])[0] : undefined;
      const roleResource = roleId === undefined ? undefined : template.Resources[roleId];
      if (roleId === undefined || roleResource?.Type !== 'AWS::IAM::Role') {
        throw new IamPolicyError('NO_ROLE', `${logicalId}'s Role is not a role of the template`);
      }
      const properties = roleResource.Properties ?? {};
      const inline = list(properties.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[]).flatMap(
        (policy) => statementsOf(policy.PolicyName, policy.PolicyDocument),
      );
      const managed = list(properties.ManagedPolicyArns as unknown[]).flatMap((arn) =>
        resources
          .filter(([id, resource]) => resource.Type === 'AWS::IAM::ManagedPolicy' && refersTo(arn, id))
          .flatMap(([id, resource]) => statementsOf(id, resource.Properties?.PolicyDocument)),
      );
      const attached = resources
        .filter(([, resource]) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(resource.Type))
        .filter(([, resource]) => list(resource.Properties?.Roles as unknown[]).some((ref) => refersTo(ref, roleId)))
        .flatMap(([id, resource]) => statementsOf(id, resource.Properties?.PolicyDocument));
      return {
        logicalId,
        functionName: String(fn.Properties?.FunctionName ?? logicalId),
        handler: String(fn.Properties?.Handler ?? ''),
        roleId,
        statements: [...inline, ...managed, ...attached],
      };
    });
};

// --- Evaluation ---------------------------------------------------------------------------------

/** IAM's wildcards: `*` any run of characters (`/` and `:` included), `?` one character. */
export const wildcardMatch = (pattern: string, value: string, ignoreCase = false): boolean =>
  new RegExp(
    `^${pattern
      .split('')
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('')}$`,
    ignoreCase ? 'is' : 's',
  ).test(value);

// Action names are case-insensitive, resources case-sensitive:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
const actionMatches = (pattern: string, action: string): boolean => wildcardMatch(pattern, action, true);
const resourceMatches = (pattern: string, resource: string): boolean => wildcardMatch(pattern, resource);

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
// several values of one key match if any does; several keys and operators must all hold; a key the
// request does not carry fails a positive operator and passes a negated one and any ...IfExists.
const OPERATORS: Record<string, { negated: boolean; test: (pattern: string, value: string) => boolean }> = {
  StringEquals: { negated: false, test: (pattern, value) => pattern === value },
  StringNotEquals: { negated: true, test: (pattern, value) => pattern === value },
  StringEqualsIgnoreCase: { negated: false, test: (pattern, value) => pattern.toLowerCase() === value.toLowerCase() },
  StringNotEqualsIgnoreCase: {
    negated: true,
    test: (pattern, value) => pattern.toLowerCase() === value.toLowerCase(),
  },
  StringLike: { negated: false, test: (pattern, value) => wildcardMatch(pattern, value) },
  StringNotLike: { negated: true, test: (pattern, value) => wildcardMatch(pattern, value) },
  ArnEquals: { negated: false, test: (pattern, value) => pattern === value },
  ArnNotEquals: { negated: true, test: (pattern, value) => pattern === value },
  ArnLike: { negated: false, test: (pattern, value) => wildcardMatch(pattern, value) },
  ArnNotLike: { negated: true, test: (pattern, value) => wildcardMatch(pattern, value) },
  Bool: { negated: false, test: (pattern, value) => pattern.toLowerCase() === value.toLowerCase() },
};

export const conditionHolds = (
  condition: PolicyStatement['condition'],
  context: Readonly<Record<string, string>> = {},
): boolean =>
  Object.entries(condition ?? {}).every(([name, keys]) => {
    const ifExists = name.endsWith('IfExists');
    const operatorName = ifExists ? name.slice(0, -'IfExists'.length) : name;
    const operator = OPERATORS[operatorName];
    if (operator === undefined) throw new IamPolicyError('UNSUPPORTED_CONDITION', `condition operator ${name}`);
    return Object.entries(keys).every(([key, patterns]) => {
      // Condition key names are case-insensitive.
      const value = Object.entries(context).find(([contextKey]) => contextKey.toLowerCase() === key.toLowerCase())?.[1];
      if (value === undefined) return ifExists || operator.negated;
      const matched = patterns.some((pattern) => operator.test(pattern, value));
      return operator.negated ? !matched : matched;
    });
  });

/** The (action pattern, resource pattern) pairs of `statement` that `permission` matches: none when it does not apply. */
export const statementMatches = (
  statement: PolicyStatement,
  permission: RequestedPermission,
): { action: string; resource: string }[] => {
  const actions = statement.action
    ? statement.action.filter((pattern) => actionMatches(pattern, permission.action))
    : statement.notAction?.some((pattern) => actionMatches(pattern, permission.action))
      ? []
      : statement.notAction?.map((pattern) => `NotAction ${pattern}`);
  const resources = statement.resource
    ? statement.resource.filter((pattern) => resourceMatches(pattern, permission.resource))
    : statement.notResource?.some((pattern) => resourceMatches(pattern, permission.resource))
      ? []
      : statement.notResource?.map((pattern) => `NotResource ${pattern}`);
  if (!actions?.length || !resources?.length || !conditionHolds(statement.condition, permission.context)) return [];
  return actions.flatMap((action) => resources.map((resource) => ({ action, resource })));
};

export interface Decision {
  allowed: boolean;
  /** The Allow statements' matching (action, resource) pairs. */
  allowedBy: { statement: string; action: string; resource: string }[];
  deniedBy: string[];
}

export const evaluate = (statements: readonly PolicyStatement[], permission: RequestedPermission): Decision => {
  const allowedBy: Decision['allowedBy'] = [];
  const deniedBy: string[] = [];
  for (const statement of statements) {
    const matches = statementMatches(statement, permission);
    if (matches.length === 0) continue;
    if (statement.effect === 'Deny') deniedBy.push(statement.id);
    else allowedBy.push(...matches.map((match) => ({ statement: statement.id, ...match })));
  }
  return { allowed: deniedBy.length === 0 && allowedBy.length > 0, allowedBy, deniedBy };
};
