import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type Attempt, explain, KubernetesError, withRetry } from './errors.js';

const patch: Attempt = {
  verb: 'patch',
  resource: 'deployments',
  group: 'apps',
  namespace: 'payments',
  name: 'web',
  server: 'https://10.0.0.1:6443',
};

function apiError(code: number, status: object | string) {
  const body = typeof status === 'string' ? status : JSON.stringify(status);
  return new ApiException(code, `HTTP-Code: ${code}`, body, {});
}

describe('explain', () => {
  it('names the missing right, the account and the namespace for a 403', () => {
    const err = explain(
      apiError(403, {
        kind: 'Status',
        reason: 'Forbidden',
        message:
          'deployments.apps "web" is forbidden: User "system:serviceaccount:slipway:slipway" cannot patch resource "deployments" in API group "apps" in the namespace "payments"',
      }),
      patch,
    );
    expect(err).toMatchObject({ status: 403, retryable: false });
    expect(err.message).toBe(
      `Slipway's service account (slipway/slipway) may not patch deployments in namespace payments: add "patch" on "deployments" (apiGroups: ["apps"]) to its Role, as in deploy/kubernetes/rbac.yaml.`,
    );
  });

  it('falls back to what was attempted when the 403 message has another shape', () => {
    const err = explain(apiError(403, 'forbidden'), {
      ...patch,
      verb: 'list',
      resource: 'replicasets',
    });
    expect(err.message).toMatch(
      /^Slipway may not list replicasets in namespace payments: add "list" on "replicasets"/,
    );
  });

  it('tells a missing Deployment from a missing namespace', () => {
    expect(explain(apiError(404, { reason: 'NotFound' }), patch).message).toBe(
      'There is no Deployment web in namespace payments: create it first, or fix the names in the kubernetes options.',
    );
    expect(
      explain(apiError(404, { reason: 'NotFound' }), { ...patch, verb: 'list' }).message,
    ).toMatch(/^Namespace payments does not exist/);
  });

  it('lists the causes of an invalid object', () => {
    const err = explain(
      apiError(422, {
        message: 'Deployment.apps "web" is invalid',
        details: {
          causes: [{ field: 'spec.template.spec.containers[0].image', message: 'Required value' }],
        },
      }),
      patch,
    );
    expect(err.message).toBe(
      'Kubernetes refused the Deployment web in namespace payments as invalid: spec.template.spec.containers[0].image: Required value',
    );
  });

  it('marks unreachable servers, throttling and 5xx retryable, and credentials not', () => {
    expect(explain(new Error('connect ECONNREFUSED 10.0.0.1:6443'), patch)).toMatchObject({
      status: 0,
      retryable: true,
    });
    expect(explain(new Error('x'), patch).message).toContain(
      'Cannot reach the Kubernetes API at https://10.0.0.1:6443',
    );
    // What undici's fetch throws: the socket's error is the cause.
    const refused = new TypeError('fetch failed', {
      cause: new Error('connect ECONNREFUSED 10.0.0.1:6443'),
    });
    expect(explain(refused, patch).message).toBe(
      'Cannot reach the Kubernetes API at https://10.0.0.1:6443 (fetch failed: connect ECONNREFUSED 10.0.0.1:6443); check that the cluster is up and the kubeconfig points at it.',
    );
    expect(explain(apiError(429, {}), patch).retryable).toBe(true);
    expect(explain(apiError(503, { message: 'etcd leader changed' }), patch)).toMatchObject({
      retryable: true,
    });
    expect(explain(apiError(401, {}), patch)).toMatchObject({ retryable: false });
  });
});

describe('withRetry', () => {
  it('retries what is retryable and gives up on the first refusal', async () => {
    let calls = 0;
    const flaky = await withRetry(
      patch,
      async () => {
        calls += 1;
        if (calls < 3) throw apiError(503, {});
        return 'ok';
      },
      new AbortController().signal,
    );
    expect([flaky, calls]).toEqual(['ok', 3]);

    calls = 0;
    await expect(
      withRetry(
        patch,
        async () => {
          calls += 1;
          throw apiError(403, 'no');
        },
        new AbortController().signal,
      ),
    ).rejects.toBeInstanceOf(KubernetesError);
    expect(calls).toBe(1);
  });
});
