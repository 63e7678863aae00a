import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from './suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['web', 'web', 0],
    ['', 'web', 3],
    ['web', '', 3],
    ['wbe', 'web', 1], // one transposition, not two substitutions
    ['delpoy', 'deploy', 1],
    ['stagnig', 'staging', 1],
    ['prodution', 'production', 1],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3], // optimal string alignment: no edit of a transposed pair
    ['abc', 'ABC', 3], // case matters here; suggest() compares in lower case
  ])('%s → %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });

  it('stops at max + 1 once the distance is certainly larger', () => {
    expect(editDistance('a', 'abcdefgh', 2)).toBe(3);
    expect(editDistance('production', 'qa', 1)).toBe(2);
    expect(editDistance('wbe', 'web', 1)).toBe(1);
  });
});

describe('suggest', () => {
  const services = ['web', 'api', 'payments-api', 'worker', 'release-bot'];
  const environments = ['staging', 'staging-eu', 'production', 'dev', 'qa'];

  it.each([
    ['wbe', services, 'web'],
    ['WBE', services, 'web'],
    ['web', services, 'web'],
    ['Web', services, 'web'],
    ['wrker', services, 'worker'],
    ['paymnets-api', services, 'payments-api'],
    ['payments', services, 'payments-api'], // prefix
    ['prodution', environments, 'production'],
    ['prod', environments, 'production'], // prefix
    ['stag', environments, 'staging'], // shortest completion of two prefixes
    ['stagign', environments, 'staging'],
    ['qe', environments, 'qa'],
    ['dve', environments, 'dev'],
    ['delpoy', ['deploy', 'rollback', 'lock', 'unlock', 'status', 'history', 'help'], 'deploy'],
    ['lcok', ['deploy', 'rollback', 'lock', 'unlock', 'status', 'history', 'help'], 'lock'],
    ['unlcok', ['deploy', 'rollback', 'lock', 'unlock', 'status', 'history', 'help'], 'unlock'],
  ])('%s among %j → %s', (input, candidates, expected) => {
    expect(suggest(input, candidates)).toBe(expected);
  });

  it.each([
    ['nothing close', 'zzzzz', services],
    ['too far for its length', 'qa', ['dev']],
    ['a single letter is no prefix', 'p', environments],
    ['empty input', '', services],
    ['blank input', '   ', services],
    ['no candidates', 'web', []],
    ['far longer than any name', 'w'.repeat(3000), services],
  ])('null for %s', (_, input, candidates) => {
    expect(suggest(input, candidates)).toBeNull();
  });

  it('prefers a typo over a prefix, and the first candidate on a tie', () => {
    expect(suggest('pod', ['production', 'pods'])).toBe('pods');
    expect(suggest('wab', ['web', 'wax'])).toBe('web');
    expect(suggest('wab', ['wax', 'web'])).toBe('wax');
  });

  it('returns the candidate as given, not lowercased', () => {
    expect(suggest('wbe', ['Web'])).toBe('Web');
  });
});
