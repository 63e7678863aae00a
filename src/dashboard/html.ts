import { escapeHtml } from './auth/index.js';

/**
 * HTML that is already safe to write out. Pages are built only from `html` templates, so every
 * value from a deployment, a person or a query string is escaped unless it is itself `Html`.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What a template may hold: text (escaped), Html (as is), lists of either, or nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

/** A template whose values are escaped; `false`, `null` and `undefined` write nothing. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += write(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Markup made by code, never from input (an SVG path, a script's JSON). */
export function unsafeRaw(text: string): Html {
  return new Html(text);
}

function write(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(write).join('');
  return escapeHtml(String(value));
}
