import { resolve } from 'node:path';
import { ValidationError } from '../../core/errors.js';
import { type HelmOptions, RELEASE_NAME, RELEASE_NAME_MAX } from './schema.js';

/** The release a service/environment deploys, from the `release` template. */
export function releaseName(template: string, service: string, environment: string): string {
  const name = template.replaceAll('{service}', service).replaceAll('{environment}', environment);
  if (name.length > RELEASE_NAME_MAX || !RELEASE_NAME.test(name)) {
    throw new ValidationError(
      `"${name}" (from release: "${template}") is not a name helm accepts: at most ${RELEASE_NAME_MAX} lowercase letters, digits, "-" and "."; change "release" in the helm driver options.`,
    );
  }
  return name;
}

/** Where helm talks to: the namespace, and the kubeconfig and context when the options name them. */
export function connectionArgs(options: HelmOptions): string[] {
  return [
    '--namespace',
    options.namespace,
    ...(options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : []),
    ...(options.context ? ['--kube-context', options.context] : []),
  ];
}

/**
 * Escapes a value for --set and --set-string, whose parser (helm's pkg/strvals) splits on "," and
 * reads "\" as an escape: "1.0,rc" would otherwise set two values.
 */
export function escapeSetValue(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll(',', '\\,');
}

/**
 * `--set-string` for text, so a version like 1.10 stays the string "1.10" instead of becoming the
 * number 1.1; `--set` for numbers and booleans, which the chart expects typed.
 */
export function setArgs(path: string, value: string | number | boolean): string[] {
  if (typeof value === 'string') return ['--set-string', `${path}=${escapeSetValue(value)}`];
  return ['--set', `${path}=${String(value)}`];
}

/** helm reads a chart argument as a path when it names a file or directory, else as repo/chart. */
export function isLocalChart(chart: string): boolean {
  return /^(\.{1,2}\/|\/)/.test(chart) || chart === '.' || chart.endsWith('.tgz');
}

/** helm's --timeout takes a Go duration. */
export function helmDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

export interface UpgradeRequest {
  options: HelmOptions;
  release: string;
  version: string;
  description: string;
  timeoutMs: number;
  /** Relative chart and values paths are resolved against this directory. */
  cwd: string;
}

/**
 * `helm upgrade --install` with the version in `versionValue`. No --wait (and so no --atomic):
 * Slipway follows the rollout itself and decides the rollback. --reset-values makes each release
 * exactly the chart's defaults, the values files, `set` and the version, whatever was given by
 * hand before, so the config is what runs.
 */
export function upgradeArgs(req: UpgradeRequest): string[] {
  const { options } = req;
  const chart = isLocalChart(options.chart) ? resolve(req.cwd, options.chart) : options.chart;
  return [
    'upgrade',
    '--install',
    req.release,
    chart,
    ...connectionArgs(options),
    ...(options.chartVersion ? ['--version', options.chartVersion] : []),
    ...(options.repo ? ['--repo', options.repo] : []),
    ...options.values.flatMap((file) => ['--values', resolve(req.cwd, file)]),
    ...Object.entries(options.set).flatMap(([path, value]) => setArgs(path, value)),
    ...setArgs(options.versionValue, req.version),
    '--reset-values',
    '--description',
    req.description,
    '--timeout',
    helmDuration(req.timeoutMs),
  ];
}

/** `helm rollback` to `revision`, without --wait for the same reason as the upgrade. */
export function rollbackArgs(
  options: HelmOptions,
  release: string,
  revision: number,
  timeoutMs: number,
): string[] {
  return [
    'rollback',
    release,
    String(revision),
    ...connectionArgs(options),
    '--timeout',
    helmDuration(timeoutMs),
  ];
}

export function historyArgs(options: HelmOptions, release: string): string[] {
  return ['history', release, ...connectionArgs(options), '--output', 'json'];
}

/** Every value the revision ran with, the chart's defaults included. */
export function valuesArgs(options: HelmOptions, release: string, revision: number): string[] {
  return [
    'get',
    'values',
    release,
    ...connectionArgs(options),
    '--revision',
    String(revision),
    '--all',
    '--output',
    'json',
  ];
}
