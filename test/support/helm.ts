import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { findGo, TESTENV_SCRIPT } from './k8s-testenv.js';

const run = promisify(execFile);

export const CHART = resolve(import.meta.dirname, '../../deploy/helm/slipway');
const CRDS_MODULE = resolve(import.meta.dirname, '../../scripts/k8s-testenv/crds');

/** The result of a command that may fail: tests look at both. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, feeding `input` on stdin; never throws on a non-zero exit. */
export function runTool(
  file: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** helm and kubectl as scripts/k8s-testenv.sh builds them (`build` is a no-op once built). */
export async function testenvTools(): Promise<{ helm: string; kubectl: string }> {
  await run('bash', [TESTENV_SCRIPT, 'build'], { maxBuffer: 16 << 20, timeout: 60 * 60_000 });
  const { stdout } = await run('bash', [TESTENV_SCRIPT, 'bin-dir']);
  const bin = stdout.trim();
  return { helm: join(bin, 'helm'), kubectl: join(bin, 'kubectl') };
}

/**
 * The prometheus-operator CRDs (ServiceMonitor among them), generated from the Go API types of
 * github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring with controller-gen,
 * as that project generates them; versions pinned in scripts/k8s-testenv/crds/go.mod.
 * The first run compiles controller-gen (a few minutes), later ones take seconds.
 */
export async function prometheusOperatorCrds(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await run(
    findGo() ?? 'go',
    [
      'tool',
      'controller-gen',
      'crd:crdVersions=v1',
      'paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1',
      `output:crd:dir=${outDir}`,
    ],
    { cwd: CRDS_MODULE, maxBuffer: 16 << 20, timeout: 30 * 60_000 },
  );
  return join(outDir, 'monitoring.coreos.com_servicemonitors.yaml');
}

/** Writes values to a file for `helm -f` (JSON is YAML). */
export function valuesFile(dir: string, name: string, values: unknown): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(values, null, 2));
  return file;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

/** The objects of a multi-document manifest, empty documents dropped. */
export function objectsOf(manifest: string): K8sObject[] {
  return parseAllDocuments(manifest)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}
