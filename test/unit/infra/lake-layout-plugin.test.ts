import LakeLayoutBound from '../../../infra/plugins/lake-layout-bound.cjs';

// The osls plugin that prints the lake layout's partition bound on `osls package` / deploy.

const fakeServerless = (environment: Record<string, string>) => ({
  service: { provider: { environment: {} }, getFunction: () => ({ environment }) },
  classes: { Error: class ServerlessError extends Error {} },
});

const run = (environment: Record<string, string>) => {
  const notices: string[] = [];
  const warnings: string[] = [];
  const plugin = new LakeLayoutBound(
    fakeServerless(environment),
    {},
    {
      log: { notice: (text: string) => notices.push(text), warning: (text: string) => warnings.push(text) },
    },
  );
  const hook = plugin.hooks['before:package:initialize'];
  if (hook === undefined) throw new Error('the plugin has no before:package:initialize hook');
  hook();
  return { notices, warnings };
};

describe('lake-layout-bound plugin', () => {
  it('prints the bound of the default layout and no warning', () => {
    const { notices, warnings } = run({ LAKE_EVENT_TYPES: 'a,b,c,d,e,f,g,h,i,j,k' });

    expect(notices).toEqual([expect.stringMatching(/^Lake layout: active Firehose partitions ≤ 12 .* = 120$/)]);
    expect(warnings).toEqual([]);
  });

  it('warns, naming the bound, when client_id is a partition key', () => {
    const { warnings } = run({
      LAKE_PREFIX: 'events/client_id=!{partitionKeyFromLambda:client_id}/dt=!{partitionKeyFromLambda:dt}/',
      LAKE_EVENT_TYPES: 'a',
    });

    expect(warnings).toEqual([expect.stringContaining('clients × 10')]);
  });

  it('fails packaging on an invalid layout, naming the setting', () => {
    expect(() => run({ LAKE_PREFIX: 'events/region=!{partitionKeyFromLambda:region}/' })).toThrow(
      /custom\.lake.*LAKE_PREFIX uses an unknown partition key/,
    );
  });
});
