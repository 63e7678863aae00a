import { describe, expect, it } from 'vitest';
import { html, unsafeRaw } from './html.js';

describe('html', () => {
  it('escapes values and keeps nested templates as they are', () => {
    const name = '<script>alert("x")</script>';
    const row = html`<td>${name}</td>`;
    expect(html`<tr>${row}</tr>`.text).toBe(
      '<tr><td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td></tr>',
    );
  });

  it('writes lists, numbers and raw markup, and nothing for false, null and undefined', () => {
    const items = ['a', 'b&c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${0}${false}${null}${undefined}${unsafeRaw('<b>')}`.text).toBe(
      '<ul><li>a</li><li>b&amp;c</li></ul>0<b>',
    );
  });
});
