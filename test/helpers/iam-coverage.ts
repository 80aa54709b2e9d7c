// IAM coverage: the AWS calls functions made (the call log, shared/aws/call-recorder.ts) checked
// against their roles in the packaged template (iam-policy.ts). A call no statement allows is
// uncovered (it would be AccessDenied in AWS); a statement's action × resource no call used is
// unused (informational: the Lambda service itself uses the log, event-source and destination
// grants, not the function's code).
import { readFileSync } from 'node:fs';
import { parseCallLog, type RecordedCall } from '../../shared/aws/call-recorder';
import {
  evaluate,
  type FunctionPolicy,
  functionPolicies,
  type PseudoParameters,
  type RequestedPermission,
  resourceArn,
} from './iam-policy';
import type { CfnTemplate } from './packaged-template';

export class IamCoverageError extends Error {
  override readonly name = 'IamCoverageError';
  constructor(
    readonly reason: 'UNCOVERED_CALLS',
    message: string,
    readonly report: CoverageReport,
  ) {
    super(message);
  }
}

export interface UncoveredPermission extends RequestedPermission {
  /** The function (its name in the template), or the handler when no function of the template has it. */
  function: string;
  /** The operations that needed it (`GetObject → NoSuchKey` when only the error needed it). */
  operations: string[];
  calls: number;
}

export interface UnusedGrant {
  function: string;
  statement: string;
  action: string;
  resource: string;
}

export interface CoverageReport {
  calls: number;
  /** Recorded calls per function name (handlers of no template function, e.g. test fixtures, apart). */
  callsByFunction: Record<string, number>;
  /** Handlers outside functions/ that no template function has (test fixtures): not checked. */
  otherCallers: string[];
  uncovered: UncoveredPermission[];
  unused: UnusedGrant[];
  /** Template functions with no recorded call. */
  silentFunctions: string[];
}

/**
 * Test files give their resources a suffix (LocalPipeline `suffix`, e.g. `-drop`): a resource
 * named like one of the template's plus `-<suffix>` counts as that one (for S3, the bucket part).
 */
export const withoutSuffix = (arn: string, templateArns: readonly string[]): string => {
  if (templateArns.includes(arn)) return arn;
  for (const base of [...templateArns].sort((a, b) => b.length - a.length)) {
    if (!arn.startsWith(base)) continue;
    const rest = arn.slice(base.length);
    if (rest.startsWith('/')) return arn;
    const suffixed = /^-[a-z0-9][a-z0-9-]*(\/.*)?$/i.exec(rest);
    if (suffixed) return `${base}${suffixed[1] ?? ''}`;
  }
  return arn;
};

/** The ARNs of the template's named resources (streams, buckets, tables, queues, buses…). */
export const templateArns = (template: CfnTemplate, pseudo: PseudoParameters): string[] =>
  Object.keys(template.Resources).flatMap((id) => {
    try {
      return [resourceArn(template, id, pseudo)];
    } catch {
      return [];
    }
  });

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound']);

/**
 * What a call needs from IAM: its own permissions, and for a read of a missing object
 * s3:ListBucket on the bucket (without it S3 answers 403 AccessDenied instead of 404 NoSuchKey:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"). That
 * check sees the key as `s3:prefix`, so a ListBucket grant with an `s3:prefix` condition covers
 * the keys it matches (as Ceph RGW reproduces it "to match aws behavior":
 * https://github.com/ceph/ceph/pull/68577).
 */
export const requiredPermissions = (call: RecordedCall, normalize: (arn: string) => string): RequestedPermission[] =>
  call.permissions.flatMap((permission) => {
    const resource = normalize(permission.resource);
    const own: RequestedPermission = { ...permission, resource };
    const [, bucket, key] = /^arn:aws:s3:::([^/]+)\/(.+)$/.exec(resource) ?? [];
    if (!NOT_FOUND.has(call.outcome) || !permission.action.startsWith('s3:GetObject') || !bucket || !key) return [own];
    return [own, { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, context: { 's3:prefix': key } }];
  });

const callerOf = (call: RecordedCall, policies: readonly FunctionPolicy[]): FunctionPolicy | string => {
  const policy = policies.find((fn) =>
    call.handler !== undefined ? fn.handler === call.handler : fn.functionName === call.functionName,
  );
  return policy ?? call.handler ?? call.functionName ?? 'unknown';
};

export const checkCoverage = (
  calls: readonly RecordedCall[],
  template: CfnTemplate,
  pseudo: PseudoParameters,
): CoverageReport => {
  const policies = functionPolicies(template, pseudo);
  const arns = templateArns(template, pseudo);
  const normalize = (arn: string) => withoutSuffix(arn, arns);
  const callsByFunction: Record<string, number> = {};
  const otherCallers = new Set<string>();
  const uncovered = new Map<string, UncoveredPermission>();
  const used = new Set<string>();
  const decided = new Map<string, ReturnType<typeof evaluate> | undefined>();

  for (const call of calls) {
    const caller = callerOf(call, policies);
    if (typeof caller === 'string' && !caller.startsWith('functions/')) {
      otherCallers.add(caller);
      continue;
    }
    const name = typeof caller === 'string' ? caller : caller.functionName;
    callsByFunction[name] = (callsByFunction[name] ?? 0) + 1;
    const ownActions = new Set(call.permissions.map((permission) => permission.action));
    for (const permission of requiredPermissions(call, normalize)) {
      const key = JSON.stringify([name, permission.action, permission.resource, permission.context ?? {}]);
      if (!decided.has(key))
        decided.set(key, typeof caller === 'string' ? undefined : evaluate(caller.statements, permission));
      const decision = decided.get(key);
      for (const match of decision?.allowedBy ?? [])
        used.add(JSON.stringify([name, match.statement, match.action, match.resource]));
      if (decision?.allowed) continue;
      const operation = ownActions.has(permission.action) ? call.operation : `${call.operation} → ${call.outcome}`;
      const entry = uncovered.get(key) ?? { function: name, ...permission, operations: [], calls: 0 };
      if (!entry.operations.includes(operation)) entry.operations.push(operation);
      entry.calls += 1;
      uncovered.set(key, entry);
    }
  }

  const unused = policies.flatMap((fn) =>
    fn.statements
      .filter((statement) => statement.effect === 'Allow')
      .flatMap((statement) =>
        (statement.action ?? []).flatMap((action) =>
          (statement.resource ?? []).map((resource) => ({
            function: fn.functionName,
            statement: statement.id,
            action,
            resource,
          })),
        ),
      )
      .filter((grant) => !used.has(JSON.stringify([grant.function, grant.statement, grant.action, grant.resource]))),
  );
  return {
    calls: calls.length,
    callsByFunction,
    otherCallers: [...otherCallers].sort(),
    uncovered: [...uncovered.values()],
    unused,
    silentFunctions: policies.map((fn) => fn.functionName).filter((name) => callsByFunction[name] === undefined),
  };
};

const describePermission = (entry: UncoveredPermission): string => {
  const context = Object.entries(entry.context ?? {})
    .map(([key, value]) => ` (${key} = ${value})`)
    .join('');
  return `  ${entry.function}: ${entry.action} on ${entry.resource}${context}, needed by ${entry.operations.join(', ')} (${entry.calls} calls)`;
};

/** One line per statement: its unused actions on its unused resources. */
const unusedLines = (unused: readonly UnusedGrant[]): string[] => {
  const byStatement = new Map<string, { actions: Set<string>; resources: Set<string> }>();
  for (const grant of unused) {
    const key = `${grant.function}: ${grant.statement}`;
    const entry = byStatement.get(key) ?? { actions: new Set(), resources: new Set() };
    entry.actions.add(grant.action);
    entry.resources.add(grant.resource);
    byStatement.set(key, entry);
  }
  return [...byStatement].map(
    ([key, { actions, resources }]) => `  ${key} ${[...actions].join(', ')} on ${[...resources].join(', ')}`,
  );
};

export const formatReport = (report: CoverageReport): string => {
  const lines = [
    `IAM coverage: ${report.calls} AWS calls recorded (${Object.entries(report.callsByFunction)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ')})`,
  ];
  if (report.silentFunctions.length > 0) lines.push(`  functions with no call: ${report.silentFunctions.join(', ')}`);
  if (report.otherCallers.length > 0)
    lines.push(`  not checked (not functions of the template): ${report.otherCallers.join(', ')}`);
  if (report.uncovered.length > 0) {
    lines.push(
      `Calls the function's role does not allow (AccessDenied in AWS):`,
      ...report.uncovered.map(describePermission),
    );
  }
  if (report.unused.length > 0) {
    lines.push(
      'Grants no recorded call used (the log, event-source and destination grants are used by the Lambda service):',
      ...unusedLines(report.unused),
    );
  }
  return lines.join('\n');
};

export interface CallLogCheck {
  /** The stage of calls that name none (recorded without ENVIRONMENT). */
  defaultStage: string;
  template: (stage: string) => Promise<CfnTemplate>;
  pseudo: (stage: string) => PseudoParameters;
}

/**
 * Checks the call log at `path`, each stage's calls against that stage's template (the test
 * stack is `test`, `npm start` runs `local`); throws an IamCoverageError (with the report of the
 * first stage that has any) when a call is uncovered.
 */
export const verifyCallLog = async (path: string, check: CallLogCheck): Promise<Map<string, CoverageReport>> => {
  const byStage = new Map<string, RecordedCall[]>();
  for (const call of parseCallLog(readFileSync(path, 'utf8'))) {
    const stage = call.stage ?? check.defaultStage;
    const calls = byStage.get(stage) ?? [];
    calls.push(call);
    byStage.set(stage, calls);
  }
  const reports = new Map<string, CoverageReport>();
  for (const [stage, calls] of [...byStage].sort(([a], [b]) => a.localeCompare(b))) {
    reports.set(stage, checkCoverage(calls, await check.template(stage), check.pseudo(stage)));
  }
  for (const [stage, report] of reports) {
    if (report.uncovered.length === 0) continue;
    throw new IamCoverageError(
      'UNCOVERED_CALLS',
      `${report.uncovered.length} permissions the functions used (stage ${stage}) are not granted by their roles (call log: ${path})\n${formatReport(report)}`,
      report,
    );
  }
  return reports;
};
