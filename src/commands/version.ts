import { codePoint, quote } from './quote.js';

/**
 * A version is an image tag or a git ref, and it ends up in argv of `git`, `kubectl`, `helm`
 * or a configured command. Drivers never use a shell, but a value that could be read as an
 * option (`--upload-pack=…`), a path out of a directory (`../..`) or shell syntax is refused
 * here anyway, so the same rule protects every driver and every webhook that passes one on.
 *
 * Rules: git check-ref-format (git-scm.com/docs/git-check-ref-format) intersected with the
 * Docker tag grammar's characters (docs.docker.com/reference/cli/docker/image/tag/), plus
 * `/` and `+` for branch names and semver build metadata.
 */
const MAX_LENGTH = 128;
const SHAPE = /^[A-Za-z0-9_][A-Za-z0-9_.\-/+]{0,127}$/;
const SHELL = /[;|&$`()<>*?[\]{}!~'"\\]/;
const CONTROL = /\p{Cc}/u;
const SPACE = /\s/u;
const ALLOWED_CHAR = /[A-Za-z0-9_.\-/+]/;
const ALLOWED_TEXT = 'letters, digits and . _ - / +';

/** The sentence saying why `version` is refused, or null when it is a valid tag or ref. */
export function validateVersion(version: string): string | null {
  if (version === '') return 'The version is empty.';
  const v = quote(version);
  const control = CONTROL.exec(version);
  if (control) {
    return `Version ${v} contains a control character (${codePoint(control[0])}, such as a line break), which is not allowed.`;
  }
  const shell = SHELL.exec(version);
  if (shell) {
    return `Version ${v} contains "${shell[0]}", which is not allowed: a version is an image tag or git ref made of ${ALLOWED_TEXT}.`;
  }
  if (SPACE.test(version)) return `Version ${v} contains a space, which is not allowed.`;
  if (version.length > MAX_LENGTH) {
    return `Version ${v} is ${version.length} characters long; the limit is ${MAX_LENGTH}.`;
  }
  return shapeProblem(version, v) ?? charProblem(version, v);
}

/** Rules about where characters may stand, for values made only of allowed characters. */
function shapeProblem(version: string, v: string): string | null {
  // A leading dash turns the value into an option of whatever command receives it.
  if (version.startsWith('-'))
    return `Version ${v} starts with "-", which a command would read as an option.`;
  if (version.startsWith('/')) return `Version ${v} starts with "/", which is not allowed.`;
  if (version.includes('..')) return `Version ${v} contains "..", which is not allowed.`;
  if (version.startsWith('.') || version.includes('/.')) {
    return `Version ${v} has a part starting with ".", which git does not allow.`;
  }
  if (version.includes('//')) return `Version ${v} contains "//", which is not allowed.`;
  if (version.endsWith('/')) return `Version ${v} ends with "/", which is not allowed.`;
  // Case-insensitive: refs become files, and macOS and Windows file systems ignore case.
  if (version.toLowerCase().endsWith('.lock')) {
    return `Version ${v} ends with ".lock", which git does not allow.`;
  }
  if (version.endsWith('.')) return `Version ${v} ends with ".", which git does not allow.`;
  return null;
}

function charProblem(version: string, v: string): string | null {
  const bad = [...version].find((c) => !ALLOWED_CHAR.test(c));
  if (bad !== undefined) {
    const shown = CONTROL.test(bad) || /\p{Cf}/u.test(bad) ? codePoint(bad) : `"${bad}"`;
    return `Version ${v} contains ${shown}, which is not allowed: use ${ALLOWED_TEXT}.`;
  }
  // Every rule above is a special case of this one; it stays as the last word in case one is missed.
  return SHAPE.test(version) ? null : `Version ${v} is not a valid image tag or git ref.`;
}
