import { describe, expect, it } from 'vitest';
import { type ConditionOutcome, evaluateCondition, parseCondition } from './condition.js';

function judge(text: string, values: number[]): ConditionOutcome {
  const parsed = parseCondition(text);
  if (!parsed.ok) throw new Error(`${parsed.message} at column ${parsed.column}`);
  return evaluateCondition(parsed.node, values);
}

describe('successCondition', () => {
  it.each([
    ['result >= 0.95', [0.97], true],
    ['result >= 0.95', [0.88], false],
    ['result[0] < 500', [499.9], true],
    ['result[1] < 500', [1, 612], false],
    ['0.95 <= result', [0.95], true],
    ['result == 1', [1], true],
    ['result != 1', [1], false],
    ['result > -1 && result < 1', [0], true],
    ['result >= 0.9 and result <= 1.0', [1.2], false],
    ['result < 0.1 or result > 0.9', [0.5], false],
    ['result < 0.1 || result > 0.9', [0.95], true],
    ['not result > 5', [3], true],
    ['!(result > 5)', [6], false],
    ['result > 1 or result < 0 and result == 5', [2], true],
    ['(result > 1 or result < 0) and result == 5', [2], false],
    ['result < 1e3', [999], true],
    ['result >= .5', [0.5], true],
  ] as const)('%s of %j is %s', (text, values, expected) => {
    expect(judge(text, [...values])).toBe(expected);
  });

  it('says no-data when a value it reads is missing or NaN, whatever the rest says', () => {
    expect(judge('result >= 0.95', [])).toBe('no-data');
    expect(judge('result >= 0.95', [Number.NaN])).toBe('no-data');
    expect(judge('result[0] > 0 or result[2] > 0', [1, 1])).toBe('no-data');
  });

  it('refuses to read "result" from several series', () => {
    expect(judge('result >= 0.95', [0.9, 0.99])).toEqual({
      error: expect.stringContaining('the query returned 2 series'),
    });
  });

  it.each([
    ['', 'the condition is empty', 1],
    ['result', 'expected a comparison (< <= > >= == !=), found the end', 7],
    ['result = 1', '"=" is not a comparison: write "=="', 8],
    ['result =< 1', '"=<" is not a comparison: write "<="', 8],
    ['result >= ', 'expected "result", "result[<n>]" or a number, found the end', 11],
    ['results >= 1', 'expected "result", "result[<n>]" or a number, found "results"', 1],
    ['result[x] > 1', 'expected an index like result[0], found "x"', 8],
    ['result[-1] > 1', 'expected an index like result[0], found "-1"', 8],
    ['result[0 > 1', 'expected a closing "]", found ">"', 10],
    ['(result > 1', 'expected a closing ")", found the end', 12],
    [
      'result > 1 result < 2',
      'expected "and", "or" or the end after a comparison, found "result"',
      12,
    ],
    ['result > 1 < 2', 'expected "and", "or" or the end after a comparison, found "<"', 12],
    ['len(result) > 0', 'expected "result", "result[<n>]" or a number, found "len"', 1],
    ['result > 1; process.exit()', 'unexpected ";"', 11],
    ['result-1 > 0', 'unexpected "-"', 7],
    ['result > 0.5 and', 'expected "result", "result[<n>]" or a number, found the end', 17],
  ])('refuses %j: %s at column %i', (text, message, column) => {
    expect(parseCondition(text)).toEqual({ ok: false, message, column });
  });
});
