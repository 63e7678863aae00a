import { type Document, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { RawIssue } from './issues.js';
import type { PathSegment } from './locate.js';

/**
 * slipway.yaml is meant to be committed and shared, so a credential in it is a leak waiting to
 * happen. Secrets come from Slipway's environment or from files (ARCHITECTURE.md); this scan
 * refuses the file when a key is named like a credential and holds a literal, or when any value
 * has the shape of a well-known token.
 */
const SECRET_KEY =
  /token|secret|passw(or)?d|passphrase|api[-_]?key|private[-_]?key|access[-_]?key|credential/i;
/** `tokenEnv: GITHUB_TOKEN`, `passwordFile: /run/secrets/db`, `secretName: argocd` name a secret, they are not one. */
const REFERENCE_SUFFIX = /(env|file|path|var|variable|name|ref|url|header)$/i;

const TOKEN_SHAPES: { name: string; pattern: RegExp }[] = [
  { name: 'a Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{8,}/ },
  { name: 'a Slack app token', pattern: /\bxapp-\d-[A-Za-z0-9-]{8,}/ },
  {
    name: 'a GitHub token',
    pattern: /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/,
  },
  { name: 'an AWS access key', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'a private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: 'a URL with a password', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i },
];

export function findSecrets(doc: Document): RawIssue[] {
  const issues: RawIssue[] = [];
  walk(doc.contents as Node | null, [], (path, key, value) => {
    if (typeof value !== 'string' || value.trim() === '') return;
    const shape = TOKEN_SHAPES.find((s) => s.pattern.test(value));
    if (key !== null && SECRET_KEY.test(key) && !REFERENCE_SUFFIX.test(key)) {
      issues.push({
        path,
        key: true,
        message: `"${key}" holds a literal value that looks like a secret; slipway.yaml must not contain credentials`,
        fix: secretFix(key),
      });
    } else if (shape) {
      issues.push({
        path,
        message: `this value looks like ${shape.name}; slipway.yaml must not contain credentials`,
        fix: `remove it and revoke it if the file was shared; give it to Slipway through an environment variable (e.g. ${suggestVariable(key)}) or a file`,
      });
    }
  });
  return issues;
}

function secretFix(key: string): string {
  return `remove it and set the environment variable ${suggestVariable(key)} where Slipway runs instead (Slipway's own credentials: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, GITHUB_TOKEN, ARGOCD_TOKEN…)`;
}

/** `apiKey` → `API_KEY`, `GITHUB_TOKEN` stays. */
function suggestVariable(key: string | null): string {
  if (!key) return 'MY_TOKEN';
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

function walk(
  node: Node | null,
  path: PathSegment[],
  visit: (path: PathSegment[], key: string | null, value: unknown) => void,
): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : null;
      if (key === null) continue;
      const value = pair.value as Node | null;
      if (isScalar(value)) visit([...path, key], key, value.value);
      else walk(value, [...path, key], visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const child = item as Node | null;
      if (isScalar(child)) visit([...path, index], null, child.value);
      else walk(child, [...path, index], visit);
    });
  }
}
