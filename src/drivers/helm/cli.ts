import { execFile } from 'node:child_process';
import { ValidationError } from '../../core/errors.js';

/**
 * What helm gets from Slipway's environment: where things are (PATH, HOME, helm's and XDG's
 * directories, the kubeconfig, the in-cluster API server, proxies, CA bundles) and the variables
 * that point cloud credential helpers at their files (a kubeconfig's `exec` plugin runs with
 * helm's environment). Never Slipway's own secrets: a chart's plugins and hooks run with this.
 */
const PASSED = new Set([
  'PATH',
  'HOME',
  'LANG',
  'TZ',
  'KUBECONFIG',
  'KUBERNETES_SERVICE_HOST',
  'KUBERNETES_SERVICE_PORT',
  'XDG_CACHE_HOME',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_AUTHORITY_HOST',
]);

export function helmEnvironment(
  env: NodeJS.ProcessEnv,
  options: { inCluster?: boolean | undefined },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (PASSED.has(name) || (name.startsWith('HELM_') && name !== 'HELM_BIN')) out[name] = value;
  }
  // inCluster means the service account, even where a KUBECONFIG is set for other drivers.
  if (options.inCluster) delete out.KUBECONFIG;
  return out;
}

/** The oldest helm the driver runs with: `--set-string`, `--reset-values`, JSON history and OCI. */
export const MINIMUM = { major: 3, minor: 8 } as const;

export interface HelmVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

/** `helm version --short` prints "v3.14.2+g1234abc" (v3) or "v4.3.2" (v4). */
export function parseHelmVersion(stdout: string): HelmVersion | null {
  const text = stdout.trim();
  const found = /^v(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!found) return null;
  return { major: Number(found[1]), minor: Number(found[2]), patch: Number(found[3]), text };
}

export function isSupported(version: HelmVersion): boolean {
  if (version.major !== MINIMUM.major) return version.major > MINIMUM.major;
  return version.minor >= MINIMUM.minor;
}

export interface Ran {
  stdout: string;
  stderr: string;
}

/** helm exited with an error; `stderr` is what it said (helm prints "Error: …" there). */
export class HelmCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const said = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 500);
    super(`helm ${args[0] ?? ''} failed${exitCode !== null ? ` (exit ${exitCode})` : ''}: ${said}`);
    this.name = 'HelmCommandError';
  }
}

/** Short helm commands that only read (history, get values, version) time out after this. */
const READ_TIMEOUT_MS = 60_000;

export interface HelmCli {
  bin: string;
  /** Runs a helm command that only reads; rejects with HelmCommandError on a non-zero exit. */
  read(args: string[], env: Record<string, string>, signal: AbortSignal): Promise<Ran>;
  /** Resolves once the binary is a helm this driver supports; rejects with what to do. */
  ready(env: Record<string, string>): Promise<HelmVersion>;
}

/**
 * The helm binary: `HELM_BIN`, else `helm` on PATH. Its version is asked once, on first use
 * rather than when the driver is built (building drivers for a config check must not need
 * helm); a failed check is asked again next time, so installing helm needs no restart.
 */
export function helmCli(env: NodeJS.ProcessEnv): HelmCli {
  const bin = env.HELM_BIN || 'helm';
  let checked: Promise<HelmVersion> | null = null;

  function read(args: string[], childEnv: Record<string, string>, signal: AbortSignal) {
    return new Promise<Ran>((resolve, reject) => {
      execFile(
        bin,
        args,
        { env: childEnv, signal, timeout: READ_TIMEOUT_MS, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr });
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'EACCES') return reject(notFound(bin, code));
          if (signal.aborted) return reject(err);
          const exit = typeof code === 'number' ? code : null;
          reject(new HelmCommandError(args, exit, stderr || err.message));
        },
      );
    });
  }

  async function check(childEnv: Record<string, string>): Promise<HelmVersion> {
    const { stdout } = await read(['version', '--short'], childEnv, AbortSignal.timeout(30_000));
    const version = parseHelmVersion(stdout);
    if (!version) {
      throw new ValidationError(
        `${bin} does not look like helm: "helm version --short" printed "${stdout.trim().slice(0, 80)}". Set HELM_BIN to the helm binary.`,
      );
    }
    if (!isSupported(version)) {
      throw new ValidationError(
        `${bin} is helm ${version.text}; the helm driver needs v${MINIMUM.major}.${MINIMUM.minor} or newer (or v4): upgrade it, or set HELM_BIN to a newer one.`,
      );
    }
    return version;
  }

  return {
    bin,
    read,
    ready(childEnv) {
      checked ??= check(childEnv).catch((err: unknown) => {
        checked = null;
        throw err;
      });
      return checked;
    },
  };
}

export function notFound(bin: string, code: string): ValidationError {
  const where = bin.includes('/') ? bin : `"${bin}" on PATH`;
  const why = code === 'EACCES' ? 'is not executable' : 'was not found';
  return new ValidationError(
    `helm ${why} (looked for ${where}): install Helm v${MINIMUM.major}.${MINIMUM.minor} or newer, or set HELM_BIN to its path.`,
  );
}
