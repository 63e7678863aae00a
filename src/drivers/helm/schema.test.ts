import { describe, expect, it } from 'vitest';
import { optionsSchema } from './schema.js';

describe('helm options', () => {
  const parse = (more: Record<string, unknown>) =>
    optionsSchema.safeParse({ chart: './chart', namespace: 'shop', ...more });
  const messages = (result: ReturnType<typeof parse>) =>
    result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('defaults the release to the service, the version to image.tag, and 10 minutes', () => {
    const parsed = parse({});
    expect(parsed.success && parsed.data).toMatchObject({
      release: '{service}',
      versionValue: 'image.tag',
      timeout: '10m',
      values: [],
      set: {},
    });
  });

  it('says what is wrong with a release template, a value path or a set', () => {
    expect(messages(parse({ release: '{service}-{region}' }))).toEqual([
      'release: {region} is not a placeholder here: use {service} or {environment}',
    ]);
    expect(messages(parse({ release: 'Web_{service}' }))).toEqual([
      'release: a release name is lowercase letters, digits, "-" and "." (helm refuses anything else)',
    ]);
    expect(messages(parse({ versionValue: 'image..tag' }))).toEqual([
      'versionValue: a dotted path into the values, like image.tag',
    ]);
    expect(messages(parse({ set: { 'image.tag': 'latest' } }))).toEqual([
      'set.image.tag: image.tag takes the version being deployed: remove it from set, or name another versionValue',
    ]);
    expect(messages(parse({ set: { 'a=b': 'c' } }))[0]).toMatch(/^set\.a=b: /);
    expect(messages(parse({ timeout: 'soon' }))).toEqual([
      'timeout: write a duration like "30s", "10m" or "1h"',
    ]);
    expect(messages(parse({ inCluster: true, context: 'prod' }))).toEqual([
      'inCluster: inCluster uses the service account; remove kubeconfig and context, or inCluster',
    ]);
    expect(messages(parse({ wait: true }))[0]).toMatch(/wait/);
  });
});
