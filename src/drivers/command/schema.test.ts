import { describe, expect, it } from 'vitest';
import { expandArgv, refSlug, unknownPlaceholders } from './placeholders.js';
import { optionsSchema, parseSize } from './schema.js';

function issues(input: unknown): { path: PropertyKey[]; message: string }[] {
  const parsed = optionsSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map(({ path, message }) => ({ path, message }));
}

describe('command driver options', () => {
  it('fills in defaults', () => {
    expect(optionsSchema.parse({ deploy: ['./deploy.sh'] })).toEqual({
      deploy: ['./deploy.sh'],
      timeout: '10m',
      killGrace: '10s',
      statusTimeout: '30s',
      env: {},
      outputLimit: '64KiB',
    });
  });

  it('refuses unknown placeholders where they are written, naming the known ones', () => {
    const found = issues({
      deploy: ['./deploy.sh', '{version}'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style variable, written literally on purpose.
      rollback: ['x', '--tag={tag}', '${HOME}'],
    });
    expect(found.map((issue) => issue.path)).toEqual([
      ['rollback', 1],
      ['rollback', 2],
    ]);
    expect(found[0]?.message).toMatch(
      /^unknown placeholder \{tag\}: use one of \{service\} \{version\}/,
    );
    expect(found[1]?.message).toContain('unknown placeholder {HOME}');
  });

  it('refuses an empty argv or program, a cancel option, SLIPWAY_* env names, bad durations and sizes', () => {
    expect(issues({ deploy: [] })[0]?.path).toEqual(['deploy']);
    expect(issues({ deploy: [''] })[0]?.message).toContain('the program (first element) is empty');
    expect(issues({ deploy: ['x'], cancel: ['y'] })[0]?.message).toContain('cancel');
    expect(issues({ deploy: ['x'], env: { SLIPWAY_VERSION: '1' } })).toHaveLength(1);
    expect(issues({ deploy: ['x'], env: { 'BAD-NAME': '1' } })).toHaveLength(1);
    expect(issues({ deploy: ['x'], timeout: 'soon' })[0]?.path).toEqual(['timeout']);
    expect(issues({ deploy: ['x'], outputLimit: '10' })[0]?.message).toContain(
      'between "1KiB" and "64MiB"',
    );
    expect(issues({ deploy: ['x'], outputLimit: '1GiB' })).toHaveLength(1);
  });

  it('parses sizes', () => {
    expect(parseSize('64KiB')).toBe(65_536);
    expect(parseSize('1MiB')).toBe(1_048_576);
    expect(parseSize('2048')).toBe(2048);
    expect(parseSize('512 B')).toBe(512);
    expect(parseSize('64kb')).toBeNull();
  });
});

describe('refSlug', () => {
  it.each([
    ['main', 'main'],
    ['feature/Login', 'feature-login-'],
    ['', ''],
    ['x'.repeat(80), 'x'],
  ])('%s', (name, start) => {
    const slug = refSlug(name);
    expect(slug.startsWith(start)).toBe(true);
    expect(slug).toMatch(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$/);
  });

  it('keeps refs that read alike apart', () => {
    expect(refSlug('feat/x')).not.toBe(refSlug('feat-x'));
  });
});

describe('placeholders', () => {
  const values = {
    service: 'web',
    version: '1.2.3',
    environment: 'prod',
    deploymentId: 'd1',
    correlationId: 'c1',
    previousVersion: '',
    image: 'reg/web',
    ref: 'feature/login',
    refSlug: 'feature-login',
  };

  it('substitutes inside each argument and keeps each argument whole', () => {
    expect(
      expandArgv(
        ['{image}:{version}', 'a b {service}', '{previousVersion}', '{"json": 1}'],
        values,
      ),
    ).toEqual(['reg/web:1.2.3', 'a b web', '', '{"json": 1}']);
  });

  it('does not expand placeholders that appear in substituted values', () => {
    expect(expandArgv(['{version}'], { ...values, version: '{service}' })).toEqual(['{service}']);
  });

  it('finds only names that look like placeholders', () => {
    expect(unknownPlaceholders('{a} {version} { spaced } {1x} {b_c}')).toEqual(['a', 'b_c']);
  });
});
