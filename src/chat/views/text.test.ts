import { describe, expect, it } from 'vitest';
import { code, escapeText, sentence, unescapeText } from './text.js';

describe('escapeText', () => {
  it('shows people and channels named by id as mentions', () => {
    expect(
      escapeText('staging is locked by U0WEB0001; ask U0WEB0001 or deploy from #C0DEPLOYS.'),
    ).toBe('staging is locked by <@U0WEB0001>; ask <@U0WEB0001> or deploy from <#C0DEPLOYS>.');
  });

  it('leaves what only looks like an id, and what people typed, as text', () => {
    expect(escapeText('UNAVAILABLE U-DEV1 W1 version U12345678901234 x-U0WEB0001')).toBe(
      'UNAVAILABLE U-DEV1 W1 version U12345678901234 x-U0WEB0001',
    );
    expect(escapeText('fix <!channel> <@U0WEB0001> & more')).toBe(
      'fix &lt;!channel&gt; &lt;@U0WEB0001&gt; &amp; more',
    );
  });

  it('keeps code spans literal, and plain text reads the ids again', () => {
    expect(code('unlock! staging U0WEB0001')).toBe('`unlock! staging U0WEB0001`');
    expect(unescapeText(escapeText('locked by U0WEB0001 in #C0DEPLOYS & co'))).toBe(
      'locked by U0WEB0001 in #C0DEPLOYS & co',
    );
  });
});

describe('sentence', () => {
  it('ends a sentence once, keeping the punctuation a person typed', () => {
    expect(sentence('Rejected by <@U1>')).toBe('Rejected by <@U1>.');
    expect(sentence('Rejected by <@U1>: overlaps the banner.')).toBe(
      'Rejected by <@U1>: overlaps the banner.',
    );
    expect(sentence('Rejected by <@U1>: broken on iOS! ')).toBe(
      'Rejected by <@U1>: broken on iOS!',
    );
  });
});
