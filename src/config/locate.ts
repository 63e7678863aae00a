import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
} from 'yaml';

export type PathSegment = string | number;

/** Where in the file a problem is: 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/**
 * Finds the node at `path` in the YAML document, or the nearest ancestor that exists (a missing
 * key is reported where its parent mapping starts, which is where it has to be added).
 * `key: true` points at the key of the last segment instead of its value: for "unknown key"
 * and "no such environment" errors the key is what is wrong.
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: readonly PathSegment[],
  options: { key?: boolean } = {},
): Position {
  let node: Node | null = isNode(doc.contents) ? doc.contents : null;
  let best: Node | null = node;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    const resolved = node && isAlias(node) ? node.resolve(doc) : node;
    const child = childOf(resolved ?? null, segment);
    if (!child) break;
    if (last && options.key && child.keyNode) {
      best = child.keyNode;
      break;
    }
    // `preview:` with no value has no value node: the key is the closest thing to point at.
    best = child.value ?? child.keyNode ?? best;
    node = child.value;
    if (!node) break;
  }
  return positionOf(best, lines);
}

export function positionOf(node: Node | null, lines: LineCounter): Position {
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 1, column: 1 };
  return offsetPosition(offset, lines);
}

export function offsetPosition(offset: number, lines: LineCounter): Position {
  const { line, col } = lines.linePos(offset);
  return { line: Math.max(line, 1), column: Math.max(col, 1) };
}

function childOf(
  node: Node | null,
  segment: PathSegment,
): { value: Node | null; keyNode: Node | null } | null {
  if (isMap(node)) {
    const pair = node.items.find((item) => scalarKey(item.key) === String(segment));
    if (!pair) return null;
    return {
      value: isNode(pair.value) ? pair.value : null,
      keyNode: isNode(pair.key) ? pair.key : null,
    };
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? null : { value: isNode(item) ? item : null, keyNode: null };
  }
  return null;
}

function scalarKey(key: unknown): string | null {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : null;
}

/** `['services', 1, 'environments', 'production']` → `services[1].environments.production`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
