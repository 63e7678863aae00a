import { describe, expect, it } from 'vitest';
import {
  expandQuery,
  lineColumn,
  offsetOf,
  PlaceholderError,
  placeholderProblem,
  placeholderUses,
  promDuration,
} from './placeholders.js';

const VALUES = {
  service: 'web',
  environment: 'production',
  namespace: 'shop',
  canary: 'web-canary',
  primary: 'web',
  version: '1.4.2',
  previousVersion: '1.4.1',
  interval: '1m',
};

describe('placeholders', () => {
  it('fills placeholders in strings and range selectors, leaving label matchers alone', () => {
    const query =
      'sum(rate(http_requests_total{app="{canary}",code!~"5.."}[{interval}])) / sum(rate(http_requests_total{app="{canary}"}[{interval}]))';
    expect(expandQuery(query, VALUES).text).toBe(
      'sum(rate(http_requests_total{app="web-canary",code!~"5.."}[1m])) / sum(rate(http_requests_total{app="web-canary"}[1m]))',
    );
  });

  it('escapes a value for the string it stands in, so it cannot end the string', () => {
    const hostile = { ...VALUES, version: '1"} or vector(1) #' };
    expect(expandQuery('up{version="{version}"}', hostile).text).toBe(
      'up{version="1\\"} or vector(1) #"}',
    );
    expect(expandQuery("up{version='{version}'}", { ...VALUES, version: "it's\\" }).text).toBe(
      "up{version='it\\'s\\\\'}",
    );
  });

  it('regex-escapes a value inside =~ and !~ matchers', () => {
    const values = { ...VALUES, version: '1.4.2+build' };
    expect(expandQuery('up{version=~"{version}|{previousVersion}"}', values).text).toBe(
      'up{version=~"1\\\\.4\\\\.2\\\\+build|1\\\\.4\\\\.1"}',
    );
    expect(expandQuery('up{version!~ `{version}`}', values).text).toBe(
      'up{version!~ `1\\.4\\.2\\+build`}',
    );
  });

  it('refuses a value outside quotes unless it is a plain word', () => {
    expect(expandQuery('topk(1, up) offset {interval}', VALUES).text).toBe('topk(1, up) offset 1m');
    expect(() => expandQuery('up{app={canary}}', VALUES)).toThrow(
      '{canary} stands outside quotes and its value "web-canary" is not a plain word: put it in a label matcher, e.g. app="{canary}"',
    );
  });

  it('refuses a backquote in a value for a backquoted string', () => {
    expect(() => expandQuery('up{version=`{version}`}', { ...VALUES, version: 'a`b' })).toThrow(
      PlaceholderError,
    );
  });

  it('refuses a placeholder without a value, and unknown names, saying which', () => {
    const { previousVersion: _, ...first } = VALUES;
    expect(() => expandQuery('up{version="{previousVersion}"}', first)).toThrow(
      /^\{previousVersion\} has no value for this deployment/,
    );
    expect(() => expandQuery('up{app="{app}"}', VALUES)).toThrow(
      '{app} is not a placeholder Slipway knows: use {service} {environment} {namespace} {canary} {primary} {version} {previousVersion} {interval}',
    );
  });

  it('ignores braces in strings that are not placeholders, and placeholders in comments', () => {
    const query = 'up{path=~"/a{2}", x="{ notme }"} # {whatever} "\n+ up{app="{service}"}';
    expect(placeholderProblem(query)).toBeNull();
    expect(placeholderUses(query).map((u) => [u.name, u.context.kind])).toEqual([
      ['service', 'string'],
    ]);
    expect(expandQuery(query, VALUES).text).toBe(
      'up{path=~"/a{2}", x="{ notme }"} # {whatever} "\n+ up{app="web"}',
    );
  });

  it('keeps an escaped quote inside a string from ending it', () => {
    const uses = placeholderUses('up{a="x\\"{service}"}');
    expect(uses).toHaveLength(1);
    expect(uses[0]?.context).toEqual({ kind: 'string', quote: '"', regex: false });
  });

  it('maps a position in the filled query back to the query as written', () => {
    const query = 'sum(rate(x{app="{canary}"}[{interval}])))';
    const expanded = expandQuery(query, VALUES);
    // Prometheus blames the last ")" of the filled query; it is the last one as written too.
    const blamed = expanded.text.length - 1;
    expect(expanded.writtenOffset(blamed)).toBe(query.length - 1);
    expect(expanded.writtenOffset(2)).toBe(2);
    const afterCanary = expanded.text.indexOf('"}');
    expect(query.slice(expanded.writtenOffset(afterCanary))).toBe('"}[{interval}])))');
  });

  it('converts between offsets and Prometheus positions', () => {
    const text = 'sum(\n  rate(x[1m])\n)';
    expect(lineColumn(text, 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn(text, 7)).toEqual({ line: 2, column: 3 });
    expect(offsetOf(text, 2, 3)).toBe(7);
  });

  it('writes intervals as PromQL durations', () => {
    expect(promDuration(60_000)).toBe('1m');
    expect(promDuration(5_400_000)).toBe('1h30m');
    expect(promDuration(90_061_000)).toBe('1d1h1m1s');
    expect(promDuration(1_500)).toBe('1500ms');
  });
});
