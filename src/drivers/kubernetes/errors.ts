import { ApiException } from '@kubernetes/client-node';

/** What the driver was doing when the API refused, for the sentence it turns into. */
export interface Attempt {
  verb: 'get' | 'list' | 'watch' | 'patch' | 'create' | 'update' | 'delete';
  /** Plural resource as RBAC names it: "deployments", "replicasets", "services", "httproutes"… */
  resource: string;
  /** API group as RBAC names it: "apps", "" (core), "networking.k8s.io", "gateway.networking.k8s.io". */
  group: string;
  namespace: string;
  name?: string;
  /** The API server's address, for connection errors. */
  server: string;
}

/** A refusal or failure from the Kubernetes API, told as a sentence a person can act on. */
export class KubernetesError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the API server could not be reached. */
    readonly status: number,
    /** Worth another try as is: the API server was unreachable, overloaded or restarting. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'KubernetesError';
  }
}

interface Status {
  message?: string;
  reason?: string;
  details?: { causes?: { message?: string; field?: string }[] };
}

const CANNOT = /User "([^"]+)" cannot (\w+) resource "([^"]+)" in API group "([^"]*)"/;

/** Turns what a client call threw into a KubernetesError (left as is when it is one). */
export function explain(err: unknown, attempt: Attempt): KubernetesError {
  if (err instanceof KubernetesError) return err;
  const where = `namespace ${attempt.namespace}`;
  const object = `${singular(attempt.resource)}${attempt.name ? ` ${attempt.name}` : ''}`;
  if (!(err instanceof ApiException)) {
    const text = err instanceof Error ? withCause(err) : String(err);
    return new KubernetesError(
      `Cannot reach the Kubernetes API at ${attempt.server} (${text}); check that the cluster is up and the kubeconfig points at it.`,
      0,
      true,
    );
  }
  const status = parseStatus(err.body);
  const said = status.message ?? err.message;
  switch (err.code) {
    case 401:
      return new KubernetesError(
        `The Kubernetes API at ${attempt.server} rejected Slipway's credentials (401): renew the token or certificate in the kubeconfig, or the service account token.`,
        401,
        false,
      );
    case 403: {
      const rbac = CANNOT.exec(said);
      const [who, verb, resource, group] = rbac
        ? [rbac[1], rbac[2], rbac[3], rbac[4]]
        : [undefined, attempt.verb, attempt.resource, attempt.group];
      const account = who?.startsWith('system:serviceaccount:')
        ? `Slipway's service account (${who.split(':').slice(2).join('/')})`
        : who
          ? `Slipway (as ${who})`
          : 'Slipway';
      return new KubernetesError(
        `${account} may not ${verb} ${resource} in ${where}: add "${verb}" on "${resource}" (apiGroups: ["${group}"]) to its Role, as in deploy/kubernetes/rbac.yaml.`,
        403,
        false,
      );
    }
    case 404:
      return new KubernetesError(
        attempt.verb === 'list' || attempt.verb === 'watch'
          ? `Namespace ${attempt.namespace} does not exist at ${attempt.server}: fix "namespace" in the kubernetes options.`
          : `There is no ${object} in ${where}: create it first, or fix the names in the kubernetes options.`,
        404,
        false,
      );
    case 409:
      return new KubernetesError(
        `${capitalize(object)} changed meanwhile in ${where}: ${said}`,
        409,
        true,
      );
    case 422: {
      const causes = (status.details?.causes ?? [])
        .map((c) => [c.field, c.message].filter(Boolean).join(': '))
        .filter(Boolean);
      return new KubernetesError(
        `Kubernetes refused the ${object} in ${where} as invalid: ${causes.length ? causes.join('; ') : said}`,
        422,
        false,
      );
    }
    case 429:
      return new KubernetesError(
        `The Kubernetes API is throttling Slipway (429): ${said}`,
        429,
        true,
      );
    default:
      return new KubernetesError(
        `The Kubernetes API answered ${err.code} to ${attempt.verb} ${object} in ${where}: ${said}`,
        err.code,
        err.code >= 500,
      );
  }
}

// client-node 2 calls the API through undici's fetch, which says only "fetch failed" and puts
// what happened ("connect ECONNREFUSED 10.0.0.1:6443") in `cause`.
function withCause(err: Error): string {
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}

function parseStatus(body: unknown): Status {
  if (typeof body === 'object' && body !== null) return body as Status;
  if (typeof body !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Status) : {};
  } catch {
    return body ? { message: body } : {};
  }
}

function singular(resource: string): string {
  const known: Record<string, string> = {
    deployments: 'Deployment',
    replicasets: 'ReplicaSet',
    services: 'Service',
    ingresses: 'Ingress',
    httproutes: 'HTTPRoute',
  };
  return known[resource] ?? resource;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Calls `fn`, retrying what is retryable (unreachable, 5xx, 429, 409) a few times. */
export async function withRetry<T>(
  attempt: Attempt,
  fn: () => Promise<T>,
  signal: AbortSignal,
  tries = 5,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const explained = explain(err, attempt);
      if (!explained.retryable || i >= tries || signal.aborted) throw explained;
      await new Promise((resolve) => setTimeout(resolve, Math.min(4_000, 250 * 2 ** (i - 1))));
    }
  }
}
