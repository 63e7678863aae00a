import { describe, expect, it } from 'vitest';
import {
  escapeSetValue,
  helmDuration,
  historyArgs,
  isLocalChart,
  releaseName,
  rollbackArgs,
  upgradeArgs,
  valuesArgs,
} from './args.js';
import { optionsSchema } from './schema.js';

const options = (more: Record<string, unknown> = {}) =>
  optionsSchema.parse({ chart: './charts/web', namespace: 'shop', ...more });

describe('helm arguments', () => {
  it('upgrades or installs with the version as a string value, no --wait and no --atomic', () => {
    const args = upgradeArgs({
      options: options(),
      release: 'web',
      version: '1.10',
      description: 'Slipway deploy d1: web 1.10 by alice (live before: revision 4)',
      timeoutMs: 600_000,
      cwd: '/srv/ops',
    });
    expect(args).toEqual([
      'upgrade',
      '--install',
      'web',
      '/srv/ops/charts/web',
      '--namespace',
      'shop',
      '--set-string',
      'image.tag=1.10',
      '--reset-values',
      '--description',
      'Slipway deploy d1: web 1.10 by alice (live before: revision 4)',
      '--timeout',
      '600s',
    ]);
    expect(args.some((a) => a.startsWith('--wait') || a === '--atomic')).toBe(false);
  });

  it('passes chart version, repository, values files in order, typed sets and the connection', () => {
    const args = upgradeArgs({
      options: options({
        chart: 'bitnami/nginx',
        chartVersion: '15.1.0',
        repo: 'https://charts.example.com',
        values: ['values/base.yaml', '/etc/slipway/prod.yaml'],
        set: { replicaCount: 3, 'ingress.enabled': true, 'ingress.host': 'a,b' },
        versionValue: 'web.image.tag',
        kubeconfig: '/etc/kube/config',
        context: 'prod-eu',
      }),
      release: 'web-production',
      version: '2.0.0',
      description: 'd',
      timeoutMs: 90_500,
      cwd: '/srv/ops',
    });
    expect(args.slice(0, 4)).toEqual(['upgrade', '--install', 'web-production', 'bitnami/nginx']);
    expect(args.join(' ')).toContain(
      '--namespace shop --kubeconfig /etc/kube/config --kube-context prod-eu --version 15.1.0 --repo https://charts.example.com --values /srv/ops/values/base.yaml --values /etc/slipway/prod.yaml --set replicaCount=3 --set ingress.enabled=true --set-string ingress.host=a\\,b --set-string web.image.tag=2.0.0',
    );
    expect(args.slice(-2)).toEqual(['--timeout', '91s']);
  });

  it('escapes what helm --set would split or unescape', () => {
    expect(escapeSetValue('1.0.0')).toBe('1.0.0');
    expect(escapeSetValue('a,b')).toBe('a\\,b');
    expect(escapeSetValue('c:\\x,y')).toBe('c:\\\\x\\,y');
  });

  it('tells a local chart from a repository one', () => {
    expect(isLocalChart('./web')).toBe(true);
    expect(isLocalChart('../charts/web')).toBe(true);
    expect(isLocalChart('/srv/charts/web')).toBe(true);
    expect(isLocalChart('.')).toBe(true);
    expect(isLocalChart('web-0.1.0.tgz')).toBe(true);
    expect(isLocalChart('bitnami/nginx')).toBe(false);
    expect(isLocalChart('oci://registry.example.com/charts/web')).toBe(false);
  });

  it('rolls back to a revision, reads history and a revision’s values as JSON', () => {
    expect(rollbackArgs(options(), 'web', 4, 60_000)).toEqual([
      'rollback',
      'web',
      '4',
      '--namespace',
      'shop',
      '--timeout',
      '60s',
    ]);
    expect(historyArgs(options({ context: 'staging' }), 'web')).toEqual([
      'history',
      'web',
      '--namespace',
      'shop',
      '--kube-context',
      'staging',
      '--output',
      'json',
    ]);
    expect(valuesArgs(options(), 'web', 7)).toEqual([
      'get',
      'values',
      'web',
      '--namespace',
      'shop',
      '--revision',
      '7',
      '--all',
      '--output',
      'json',
    ]);
    expect(helmDuration(1)).toBe('1s');
  });

  it('names the release from its template, and refuses a name helm would refuse', () => {
    expect(releaseName('{service}', 'web', 'staging')).toBe('web');
    expect(releaseName('{service}-{environment}', 'web', 'staging')).toBe('web-staging');
    expect(() => releaseName('{service}-{environment}', 'web', 'Prod_EU')).toThrow(
      /"web-Prod_EU" \(from release: "\{service\}-\{environment\}"\) is not a name helm accepts/,
    );
    expect(() => releaseName('{service}', 'a'.repeat(54), 'x')).toThrow(/at most 53/);
  });
});
