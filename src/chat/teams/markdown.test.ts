import { describe, expect, it } from 'vitest';
import { escapeText, link } from '../views/text.js';
import { toCardMarkdown, toCardPieces, toPlainText } from './markdown.js';

const names = (id: string) => ({ U0ALICE001: 'Alice Doe', 'teams:aad-1': 'Bob Roe' })[id] ?? null;

describe('view mrkdwn as Adaptive Card markdown', () => {
  it('turns Slack bold into markdown bold, links into markdown links, mentions into names', () => {
    const text = `*Deployed* by <@U0ALICE001>, see ${link('https://ci.example/run?id=1&x=2', 'the run')}`;
    expect(toCardMarkdown(text, names)).toBe(
      '**Deployed** by Alice Doe, see [the run](https://ci.example/run?id=1&x=2)',
    );
  });

  it('shows the id of a person it has no name for, and any platform id in a mention', () => {
    expect(toCardMarkdown('<@U0NOBODY1> and <@teams:aad-1>', names)).toBe('U0NOBODY1 and Bob Roe');
  });

  it('unescapes what the views escaped, so a person sees the characters they typed', () => {
    expect(toCardMarkdown(escapeText('a < b && c > d'), names)).toBe('a <\u200b b && c > d');
    expect(toPlainText(escapeText('a < b && c > d'), names)).toBe('a < b && c > d');
  });

  it('keeps a link or a mention a person typed from becoming one', () => {
    const reason = escapeText(
      'see [here](https://evil.example) and <@U0ALICE001> <https://x.example|y>',
    );
    const md = toCardMarkdown(reason, names);
    expect(md).not.toMatch(/\]\(/);
    expect(md).not.toContain('Alice Doe');
    expect(md).toContain('[here]\u200b(https://evil.example)');
    // The autolink form cannot open either.
    expect(md).not.toMatch(/<https?:/);
  });

  it('leaves markup inside inline code as it is', () => {
    expect(toCardMarkdown('run `*not bold* <@U0ALICE001>` now', names)).toBe(
      'run `*not bold* <\u200b@U0ALICE001>` now',
    );
  });

  it('shows dates in each reader’s time zone through DATE and TIME', () => {
    const when = '<!date^1772359200^{date_short_pretty} {time_secs}|2026-03-01T10:00:00Z>';
    expect(toCardMarkdown(`since ${when}`, names)).toBe(
      'since {{DATE(2026-03-01T10:00:00Z, SHORT)}} {{TIME(2026-03-01T10:00:00Z)}}',
    );
    expect(toPlainText(`since ${when}`, names)).toBe('since 2026-03-01T10:00:00Z');
  });

  it('never pings: special mentions become their label', () => {
    expect(toCardMarkdown('<!here> <!subteam^S1|@ops>', names)).toBe('@here @ops');
  });

  it('keeps only http(s) and mailto links, showing other targets as their label', () => {
    expect(toCardMarkdown('<javascript:alert(1)|click>', names)).toBe('click');
    expect(toCardMarkdown('<https://x.example/a (b)|the [log]>', names)).toBe(
      '[the (log)](https://x.example/a%20%28b%29)',
    );
  });

  it('splits code blocks out to be shown verbatim', () => {
    const pieces = toCardPieces('Failed:\n```\nerror: *boom* &lt;x&gt;\n```\nFix it.', names);
    expect(pieces).toEqual([
      { kind: 'markdown', text: 'Failed:\n' },
      { kind: 'code', text: 'error: *boom* <x>\n' },
      { kind: 'markdown', text: '\nFix it.' },
    ]);
  });

  it('treats an unclosed fence as text', () => {
    expect(toCardPieces('a ``` b', names)).toEqual([{ kind: 'markdown', text: 'a ``` b' }]);
  });

  it('cannot be fooled by placeholder characters into restoring converted markup', () => {
    expect(toCardMarkdown('\uE0000\uE000 <@U0ALICE001>', names)).toBe('0 Alice Doe');
  });
});
