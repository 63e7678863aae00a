/**
 * Jenkins' `tree` query parameter for the Jenkins double (jenkins-double.ts): `a,b[c,d]{0,10}`
 * keeps fields a and b of an object, fields c and d of each element of b, and b's elements 0 to
 * 9 (www.jenkins.io/doc/book/using/remote-access-api, "Controlling the amount of data you fetch").
 * Like Jenkins, `_class` stays on every object, and a malformed tree is a 400.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Field {
  name: string;
  children: Field[] | null;
  range: { from: number; to: number } | null;
}

export class TreeError extends Error {}

export function parseTree(text: string): Field[] {
  let at = 0;
  function list(): Field[] {
    const fields = [field()];
    while (text[at] === ',') {
      at++;
      fields.push(field());
    }
    return fields;
  }
  function field(): Field {
    const start = at;
    while (at < text.length && /[A-Za-z0-9_]/.test(text[at] ?? '')) at++;
    const name = text.slice(start, at);
    if (!name) throw new TreeError(`Malformed tree expression at ${at}: ${text}`);
    let children: Field[] | null = null;
    if (text[at] === '[') {
      at++;
      children = list();
      if (text[at] !== ']') throw new TreeError(`Malformed tree expression at ${at}: ${text}`);
      at++;
    }
    let range: Field['range'] = null;
    if (text[at] === '{') {
      const end = text.indexOf('}', at);
      if (end === -1) throw new TreeError(`Malformed tree expression at ${at}: ${text}`);
      range = parseRange(text.slice(at + 1, end));
      at = end + 1;
    }
    return { name, children, range };
  }
  const fields = list();
  if (at !== text.length) throw new TreeError(`Malformed tree expression at ${at}: ${text}`);
  return fields;
}

/** `{m,n}` is m ≤ i < n, `{m,}` from m, `{,n}` before n, `{n}` only n. */
function parseRange(text: string): { from: number; to: number } {
  const [a, b] = text.split(',');
  const num = (s: string | undefined, fallback: number) => {
    if (s === undefined || s.trim() === '') return fallback;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new TreeError(`Malformed range: {${text}}`);
    return n;
  };
  if (b === undefined) {
    const n = num(a, 0);
    return { from: n, to: n + 1 };
  }
  return { from: num(a, 0), to: num(b, Number.MAX_SAFE_INTEGER) };
}

export function applyTree(value: Json, fields: Field[]): Json {
  if (Array.isArray(value)) return value.map((v) => applyTree(v, fields));
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  if ('_class' in value) out._class = value._class ?? null;
  for (const f of fields) {
    if (!(f.name in value)) continue;
    let v = value[f.name] ?? null;
    if (Array.isArray(v) && f.range) v = v.slice(f.range.from, f.range.to);
    out[f.name] = f.children ? applyTree(v, f.children) : shallow(v);
  }
  return out;
}

/** A field named without children: Jenkins gives an object's `_class` and nothing more. */
function shallow(value: Json): Json {
  if (Array.isArray(value)) return value.map(shallow);
  if (value === null || typeof value !== 'object') return value;
  return '_class' in value ? { _class: value._class ?? null } : {};
}
