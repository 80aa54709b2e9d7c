// The template `osls package` produces, checked against the CloudFormation resource specification
// (@aws-cdk/cfnspec's copy, specification 117.0.0) by test/helpers/cfn-spec-check.ts: resource
// types, properties and their types, required properties, Fn::GetAtt attributes, Ref and Fn::Sub
// names. Both ways the template can be configured are checked: the defaults, and a customer managed
// lake key with an on-demand stream (infra/storage.yml, infra/stream.yml).
import { specification } from '@aws-cdk/cfnspec';
import { checkTemplate, type SpecProblem } from '../../helpers/cfn-spec-check';
import { type CfnTemplate, CONFIGURED_PARAMS, packagedTemplate } from '../../helpers/packaged-template';

/**
 * Problems that come from the specification lagging behind CloudFormation (@aws-cdk/cfnspec was
 * frozen in 2023), not from the template: each names the problem and why it is not one. Empty
 * today: every type, property and attribute the template uses is in the specification. An entry
 * that no longer matches a problem fails the test, so the list cannot go stale.
 */
const SPEC_GAPS: { code: SpecProblem['code']; path: string; why: string }[] = [];

const spec = specification();
const templates: Record<string, CfnTemplate> = {};

beforeAll(async () => {
  [templates.default, templates.configured] = await Promise.all([
    packagedTemplate(),
    packagedTemplate({ params: CONFIGURED_PARAMS }),
  ]);
}, 180_000);

it.each(['default', 'configured'])('the %s packaged template matches the CloudFormation specification', (variant) => {
  const template = templates[variant];
  expect(Object.keys(template?.Resources ?? {}).length).toBeGreaterThan(50);

  const problems = checkTemplate(template, spec);
  const isGap = (problem: SpecProblem) =>
    SPEC_GAPS.some((gap) => gap.code === problem.code && gap.path === problem.path);
  expect(problems.filter((problem) => !isGap(problem))).toEqual([]);
  expect(SPEC_GAPS.filter((gap) => !problems.some((p) => p.code === gap.code && p.path === gap.path))).toEqual([]);
});

it('checks the framework-made resources too (deployment bucket, HTTP API stage, function versions)', () => {
  const types = new Set(Object.values(templates.default?.Resources ?? {}).map((resource) => resource.Type));
  for (const type of [
    'AWS::S3::Bucket',
    'AWS::S3::BucketPolicy',
    'AWS::ApiGatewayV2::Stage',
    'AWS::Lambda::Function',
  ]) {
    expect(types).toContain(type);
    expect(spec.ResourceTypes[type]).toBeDefined();
  }
});

it('would notice a template broken the way a typo in infra/*.yml breaks it', () => {
  const broken = JSON.parse(JSON.stringify(templates.default)) as CfnTemplate;
  const stream = broken.Resources.EventsStream?.Properties as Record<string, unknown>;
  stream.RetentionPeriodHour = 168;
  (broken.Resources.LakeBucketPolicy?.Properties as Record<string, unknown>).Bucket = { Ref: 'LakeBuckets' };

  expect(
    checkTemplate(broken, spec)
      .map(({ code, path }) => `${code} ${path}`)
      .sort(),
  ).toEqual([
    'UNKNOWN_PROPERTY Resources.EventsStream.Properties.RetentionPeriodHour',
    'UNRESOLVED_REF Resources.LakeBucketPolicy.Properties.Bucket.Ref',
  ]);
});
