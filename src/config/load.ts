import { readFile } from 'node:fs/promises';
import { type Document, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { checkInput, crossReferenceIssues, isRecord } from './checks.js';
import { type CanarySupport, type DriverSchemas, driverIssues } from './driver-options.js';
import { describeZodIssue, type RawIssue } from './issues.js';
import { formatPath, locate, offsetPosition } from './locate.js';
import { Config } from './schema.js';
import { findSecrets } from './secrets.js';

/** One problem in slipway.yaml: where it is, what is wrong, and how to repair it. */
export interface ConfigIssue {
  /** `services[1].environments.production.driver`; empty for YAML syntax errors. */
  path: string;
  /** 1-based; 0 when the file could not be read at all. */
  line: number;
  column: number;
  message: string;
  fix: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: ConfigIssue[] };

export interface ParseOptions {
  /** Shown in messages; defaults to `slipway.yaml`. */
  file?: string;
  /** Driver id → options schema. Without it, driver ids and options are not checked. */
  driverSchemas?: DriverSchemas;
  /** Which drivers can split traffic; without it (or driverSchemas), canaries are not checked. */
  canarySupport?: CanarySupport;
}

export async function loadConfig(
  path: string,
  options: Omit<ParseOptions, 'file'> = {},
): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' ? 'no such file' : `cannot read it: ${(err as Error).message}`;
    return {
      ok: false,
      errors: [
        {
          path: '',
          line: 0,
          column: 0,
          message,
          fix: 'pass the right file with --config or SLIPWAY_CONFIG, or start from examples/slipway.yaml',
        },
      ],
    };
  }
  return parseConfig(text, { ...options, file: path });
}

/** Validates slipway.yaml text and reports every problem found, each at its line. */
export function parseConfig(text: string, options: ParseOptions = {}): ConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((error) => syntaxIssue(error, lines)) };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    const issue = {
      path: [],
      message: (err as Error).message,
      fix: 'use fewer YAML aliases (*name)',
    };
    return { ok: false, errors: [place(issue, doc, lines)] };
  }
  if (!isRecord(raw)) {
    const issue: RawIssue = {
      path: [],
      message:
        raw == null
          ? 'the file is empty'
          : 'the top level of the file should be a mapping of settings',
      fix: 'start from examples/slipway.yaml: it needs at least "environments:" and "services:"',
    };
    return { ok: false, errors: [place(issue, doc, lines)] };
  }
  const parsed = Config.safeParse(raw, { reportInput: true });
  const input = checkInput(raw);
  const raws: RawIssue[] = [
    ...(parsed.success
      ? []
      : parsed.error.issues.flatMap((issue) => describeZodIssue(issue, Config))),
    ...crossReferenceIssues(input),
    ...(options.driverSchemas
      ? driverIssues(input, options.driverSchemas, options.canarySupport)
      : []),
    ...findSecrets(doc),
  ];
  if (parsed.success && raws.length === 0) return { ok: true, config: parsed.data };
  const errors = raws.map((issue) => place(issue, doc, lines));
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, errors };
}

/**
 * Places problems found after loading (checks that ask Prometheus) at their lines in `text`,
 * the file the config was loaded from.
 */
export function placeIssues(text: string, issues: readonly RawIssue[]): ConfigIssue[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  return issues.map((issue) => place(issue, doc, lines));
}

/** `slipway.yaml:12:5 services[0].owners: … — fix: …`, one line per issue. */
export function formatIssues(issues: readonly ConfigIssue[], file = 'slipway.yaml'): string {
  return issues
    .map((issue) => {
      const where = issue.line > 0 ? `${file}:${issue.line}:${issue.column}` : file;
      const path = issue.path ? ` ${issue.path}:` : '';
      return `${where}${path} ${issue.message} — fix: ${issue.fix}`;
    })
    .join('\n');
}

function place(issue: RawIssue, doc: Document, lines: LineCounter): ConfigIssue {
  const { line, column } = locate(doc, lines, issue.path, { key: issue.key ?? false });
  return { path: formatPath(issue.path), line, column, message: issue.message, fix: issue.fix };
}

const SYNTAX_FIXES: Partial<Record<YAMLError['code'], string>> = {
  BAD_INDENT: 'indent this line like the other keys at its level (spaces only)',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  DUPLICATE_KEY: 'remove one of the two entries with this key, or merge them',
  MISSING_CHAR: 'add the missing character (a closing quote or bracket, or ":" after a key)',
  BLOCK_AS_IMPLICIT_KEY: 'put a ":" after the key, or quote a value that contains ": "',
  MULTILINE_IMPLICIT_KEY: 'put a ":" after the key, or quote a value that contains ": "',
  MULTIPLE_DOCS: 'keep one document: remove the extra "---" line',
  BAD_SCALAR_START: 'quote this value: it starts with a character YAML reserves (@, `, %, |, >)',
  BAD_DQ_ESCAPE: 'fix the backslash escape, or use single quotes where backslashes are literal',
  BAD_ALIAS: 'define the anchor (&name) before using the alias (*name)',
};

function syntaxIssue(error: YAMLError, lines: LineCounter): ConfigIssue {
  const { line, column } = offsetPosition(error.pos[0], lines);
  return {
    path: '',
    line,
    column,
    message: `YAML syntax: ${error.message.split('\n')[0] ?? error.message}`,
    fix:
      SYNTAX_FIXES[error.code] ??
      'check the indentation and punctuation around this line: a missing ":", an unclosed quote or bracket',
  };
}
