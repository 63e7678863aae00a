import { describe, expect, it } from 'vitest';
import { helmCli, helmEnvironment, isSupported, parseHelmVersion } from './cli.js';

describe('helm version check', () => {
  it('reads what helm version --short prints in v3 and v4', () => {
    expect(parseHelmVersion('v3.14.2+g1234abc\n')).toMatchObject({ major: 3, minor: 14, patch: 2 });
    expect(parseHelmVersion('v4.3.2\n')).toMatchObject({ major: 4, minor: 3, patch: 2 });
    expect(parseHelmVersion('Client: &version.Version{SemVer:"v2.17.0"}')).toBeNull();
  });

  it('accepts v3.8 and newer, and v4', () => {
    const at = (text: string) =>
      isSupported(parseHelmVersion(text) ?? { major: 0, minor: 0, patch: 0, text });
    expect(at('v3.7.2')).toBe(false);
    expect(at('v3.8.0')).toBe(true);
    expect(at('v3.19.1')).toBe(true);
    expect(at('v4.0.0')).toBe(true);
    expect(at('v2.17.0')).toBe(false);
  });

  it('says how to get helm when the binary is missing, and asks again next time', async () => {
    const cli = helmCli({ HELM_BIN: '/nonexistent/helm' });
    await expect(cli.ready({})).rejects.toThrow(
      'helm was not found (looked for /nonexistent/helm): install Helm v3.8 or newer, or set HELM_BIN to its path.',
    );
    await expect(cli.ready({})).rejects.toThrow(/was not found/);
    const onPath = helmCli({});
    expect(onPath.bin).toBe('helm');
    await expect(onPath.ready({ PATH: '/nonexistent' })).rejects.toThrow(
      'helm was not found (looked for "helm" on PATH)',
    );
  });
});

describe('helm environment', () => {
  const env = {
    PATH: '/usr/bin',
    HOME: '/home/slipway',
    KUBECONFIG: '/etc/kube/config',
    HELM_CACHE_HOME: '/cache/helm',
    HELM_BIN: '/usr/local/bin/helm',
    AWS_ROLE_ARN: 'arn:aws:iam::1:role/deployer',
    SLACK_BOT_TOKEN: 'xoxb-secret',
    SLIPWAY_DATABASE_URL: 'postgres://u:p@db/slipway',
    GITHUB_TOKEN: 'ghp_secret',
    AWS_SECRET_ACCESS_KEY: 'secret',
  };

  it("passes where things are, never Slipway's secrets", () => {
    expect(helmEnvironment(env, {})).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/slipway',
      KUBECONFIG: '/etc/kube/config',
      HELM_CACHE_HOME: '/cache/helm',
      AWS_ROLE_ARN: 'arn:aws:iam::1:role/deployer',
    });
  });

  it('leaves KUBECONFIG out when the service account is to be used', () => {
    expect(helmEnvironment(env, { inCluster: true }).KUBECONFIG).toBeUndefined();
  });
});
