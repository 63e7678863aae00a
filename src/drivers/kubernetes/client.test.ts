import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { clientCache, loadKubeConfig } from './client.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-kubeconfig-'));

function kubeconfig(name: string, contexts: { name: string; server: string }[], current: string) {
  const file = join(dir, name);
  const clusters = contexts
    .map((c) => `- name: ${c.name}\n  cluster:\n    server: ${c.server}`)
    .join('\n');
  const users = contexts
    .map((c) => `- name: ${c.name}\n  user:\n    token: t-${c.name}`)
    .join('\n');
  const ctx = contexts
    .map((c) => `- name: ${c.name}\n  context:\n    cluster: ${c.name}\n    user: ${c.name}`)
    .join('\n');
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n${clusters}\nusers:\n${users}\ncontexts:\n${ctx}\ncurrent-context: ${current}\n`,
  );
  return file;
}

const staging = kubeconfig(
  'staging',
  [{ name: 'staging', server: 'https://staging.example:6443' }],
  'staging',
);
const both = kubeconfig(
  'both',
  [
    { name: 'eu', server: 'https://eu.example:6443' },
    { name: 'us', server: 'https://us.example:6443' },
  ],
  'eu',
);

describe('loadKubeConfig', () => {
  it('prefers the kubeconfig option, then $KUBECONFIG', () => {
    expect(
      loadKubeConfig({ kubeconfig: staging }, { KUBECONFIG: both }).getCurrentCluster()?.server,
    ).toBe('https://staging.example:6443');
    expect(loadKubeConfig({}, { KUBECONFIG: both }).getCurrentCluster()?.server).toBe(
      'https://eu.example:6443',
    );
  });

  it('switches to the context asked for, and names the ones there are when it is missing', () => {
    expect(
      loadKubeConfig({ kubeconfig: both, context: 'us' }, {}).getCurrentCluster()?.server,
    ).toBe('https://us.example:6443');
    expect(() => loadKubeConfig({ kubeconfig: both, context: 'ap' }, {})).toThrow(
      'The kubeconfig has no context "ap" (it has: eu, us); fix "context" in the driver options.',
    );
  });

  it('merges a $KUBECONFIG list as kubectl does: the first file sets the current context', () => {
    const config = loadKubeConfig({ context: 'us' }, { KUBECONFIG: `${staging}:${both}` });
    expect(config.getCurrentCluster()?.server).toBe('https://us.example:6443');
    expect(loadKubeConfig({}, { KUBECONFIG: `${staging}:${both}` }).getCurrentContext()).toBe(
      'staging',
    );
  });

  it('says which file it could not read', () => {
    const missing = join(dir, 'missing');
    expect(() => loadKubeConfig({ kubeconfig: missing }, {})).toThrow(ValidationError);
    expect(() => loadKubeConfig({ kubeconfig: missing }, {})).toThrow(
      `Could not read the kubeconfig ${missing}`,
    );
  });

  it('refuses inCluster outside a pod instead of reading files that are not there', () => {
    expect(() => loadKubeConfig({ inCluster: true }, {})).toThrow(
      /KUBERNETES_SERVICE_HOST is not: Slipway is not running in a pod/,
    );
  });
});

describe('clientCache', () => {
  it('builds the clients of one connection once', () => {
    const clientsFor = clientCache({});
    const a = clientsFor({ kubeconfig: both, context: 'us' });
    expect(clientsFor({ kubeconfig: both, context: 'us' })).toBe(a);
    expect(clientsFor({ kubeconfig: both, context: 'eu' })).not.toBe(a);
    expect(a.server).toBe('https://us.example:6443');
  });
});
