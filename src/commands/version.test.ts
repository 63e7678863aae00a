import { describe, expect, it } from 'vitest';
import { validateVersion } from './version.js';

describe('validateVersion', () => {
  it.each([
    '1.4.2',
    'v1.4.2',
    '1.4.2-rc.1',
    '1.4.2+build.7',
    'main',
    'release/2024-05',
    'feature/JIRA-12_fix',
    '_private',
    'a3f9c2e1d4b5a6978812cdef0123456789abcdef',
    'latest',
    'x'.repeat(128),
  ])('accepts %s', (version) => {
    expect(validateVersion(version)).toBeNull();
  });

  // Each value someone might pass to get a command to do something else.
  it.each([
    ['1.2.3;rm -rf /', /contains ";"/],
    ['$(id)', /contains "\$"/],
    ['`id`', /contains "`"/],
    ['1.2.3|sh', /contains "\|"/],
    ['1.2.3&&reboot', /contains "&"/],
    ['a>b', /contains ">"/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the attack being tested
    ['${HOME}', /contains "\$"/],
    ["it's", /contains "'"/],
    ['"quoted"', /contains """/],
    ['a\\b', /contains "\\"/],
    ['~/x', /contains "~"/],
    ['*', /contains "\*"/],
    ['../../etc/passwd', /contains "\.\."/],
    ['a/../../b', /contains "\.\."/],
    ['--upload-pack=x', /starts with "-", which a command would read as an option/],
    ['-rf', /starts with "-"/],
    ['1.2.3\nrm -rf /', /control character \(U\+000A/],
    ['1.2.3\r', /control character \(U\+000D/],
    ['a\u0000b', /control character \(U\+0000/],
    ['1.2.3 4', /contains a space/],
    ['1.2.3\u00a0', /contains a space/],
  ])('refuses %j with a clear sentence', (version, message) => {
    const problem = validateVersion(version);
    expect(problem).toMatch(message);
    expect(problem).toMatch(/^(Version |The version )/);
    expect(problem).toMatch(/\.$/);
    expect(problem).not.toMatch(/\n/);
  });

  it.each([
    ['', 'The version is empty.'],
    ['/abs', 'Version "/abs" starts with "/", which is not allowed.'],
    ['.hidden', 'Version ".hidden" has a part starting with ".", which git does not allow.'],
    ['a/.b', 'Version "a/.b" has a part starting with ".", which git does not allow.'],
    ['a//b', 'Version "a//b" contains "//", which is not allowed.'],
    ['branch/', 'Version "branch/" ends with "/", which is not allowed.'],
    ['main.lock', 'Version "main.lock" ends with ".lock", which git does not allow.'],
    ['main.LOCK', 'Version "main.LOCK" ends with ".lock", which git does not allow.'],
    ['1.4.', 'Version "1.4." ends with ".", which git does not allow.'],
    [
      '1.4.2@sha',
      'Version "1.4.2@sha" contains "@", which is not allowed: use letters, digits and . _ - / +.',
    ],
    [
      'v1:2',
      'Version "v1:2" contains ":", which is not allowed: use letters, digits and . _ - / +.',
    ],
    [
      '1.4.2é',
      'Version "1.4.2é" contains "é", which is not allowed: use letters, digits and . _ - / +.',
    ],
    [
      'a\u200bb',
      'Version "aU+200Bb" contains U+200B, which is not allowed: use letters, digits and . _ - / +.',
    ],
  ])('refuses %j: %s', (version, message) => {
    expect(validateVersion(version)).toBe(message);
  });

  it('refuses more than 128 characters and quotes only the start', () => {
    const problem = validateVersion('x'.repeat(129));
    expect(problem).toBe(`Version "${'x'.repeat(40)}…" is 129 characters long; the limit is 128.`);
  });
});
