import { describe, expect, it } from 'vitest';
import type { CommandSpec } from './args.js';
import { COMMAND_SPECS } from './specs.js';
import { type CliRun as Run, slipway } from './test-support/run-cli.js';

/** Runs `each` over `items` two at a time: the executable takes a second to start. */
async function inPairs<T, R>(items: readonly T[], each: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += 2)
    out.push(...(await Promise.all(items.slice(i, i + 2).map(each))));
  return out;
}

/** `--port` → `--prot`: the second and third letters swapped (the commonest typo). */
function mistyped(name: string): string {
  const [a = '', b = '', c = '', ...rest] = name;
  return name.length >= 3 ? `--${a}${c}${b}${rest.join('')}` : `--${b}${a}`;
}

/** The first option a person would type, or --help for commands without options. */
function firstOption(spec: CommandSpec): string {
  return Object.keys(spec.options)[0] ?? 'help';
}

const words = (spec: CommandSpec) => spec.name.split(' ');

describe('slipway --help and mistyped options, through the real executable', () => {
  it('answers --help for every command: usage, options and an example, exit 0', async () => {
    const runs = await inPairs(COMMAND_SPECS, (spec) => slipway([...words(spec), '--help']));
    COMMAND_SPECS.forEach((spec, i) => {
      const run = runs[i] as Run;
      expect({ command: spec.name, code: run.code, stderr: run.stderr }).toEqual({
        command: spec.name,
        code: 0,
        stderr: '',
      });
      expect(run.stdout).toMatch(new RegExp(`^Usage: slipway ${spec.name}`));
      expect(run.stdout).toContain('Example');
      expect(run.stdout).toContain(spec.summary);
    });
    expect(runs[COMMAND_SPECS.findIndex((s) => s.name === 'history')]?.stdout).toMatch(
      /--all +the whole audit trail/,
    );
  }, 300_000);

  it('answers a mistyped option for every command with the nearest one and the usage, exit 2', async () => {
    const runs = await inPairs(COMMAND_SPECS, (spec) =>
      slipway([...words(spec), mistyped(firstOption(spec)), 'x']),
    );
    COMMAND_SPECS.forEach((spec, i) => {
      const run = runs[i] as Run;
      const option = firstOption(spec);
      expect({ command: spec.name, code: run.code }).toEqual({ command: spec.name, code: 2 });
      expect(run.stderr).toContain(
        `Unknown option ${mistyped(option)}. Did you mean --${option}?\n\nUsage: slipway ${spec.name}`,
      );
      expect(run.stderr).not.toContain('    at ');
      expect(run.stdout).toBe('');
    });
  }, 300_000);

  it('answers the overview, `help <command>`, groups, unknown commands and stray arguments', async () => {
    const [overview, helpDeploy, group, unknown, stray, tooMany, bang] = await inPairs(
      [
        ['--help'],
        ['help', 'deploy'],
        ['config', 'chek'],
        ['delpoy', 'web'],
        ['serve', 'now'],
        ['approve', 'd-1', 'd-2'],
        ['deploy!', '--help'],
      ],
      (args) => slipway(args),
    );
    expect(overview?.code).toBe(0);
    for (const spec of COMMAND_SPECS) expect(overview?.stdout).toContain(`  ${spec.name} `);
    expect(overview?.stdout).toContain('Examples\n  slipway ');
    expect(helpDeploy?.stdout).toMatch(/^Usage: slipway deploy /);
    expect(group).toMatchObject({ code: 2 });
    expect(group?.stderr).toMatch(
      /^Unknown command "slipway config chek". Did you mean "slipway config check"\?\n/,
    );
    expect(unknown?.stderr).toMatch(/^Unknown command "delpoy". Did you mean "slipway deploy"\?\n/);
    expect(stray).toMatchObject({ code: 2 });
    expect(stray?.stderr).toMatch(
      /^slipway serve takes no arguments; unexpected "now"\.\n\nUsage: slipway serve/,
    );
    expect(tooMany).toMatchObject({ code: 2 });
    expect(tooMany?.stderr).toMatch(/^Unexpected argument "d-2"\.\n\nUsage: slipway approve/);
    expect(bang?.code).toBe(0);
    for (const run of [group, unknown, stray, tooMany])
      expect(run?.stderr).not.toContain('    at ');
  }, 300_000);
});
