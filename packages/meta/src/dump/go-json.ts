/**
 * JSON text exactly as Go's encoding/json (and goccy/go-json, which the dumper uses) writes it, so a
 * dump made here is byte-identical to one made by the Go client: `<`, `>`, `&`, U+2028 and U+2029
 * are escaped as \u00XX / \u20XX, control characters use \n \r \t or \u00XX, objects keep the order
 * they are given in (Go structs print in field order; Go maps are sorted by key text, which callers
 * do before building a JsonObject), and integers may be bigint (inodes above 2^53).
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
/** An object whose members print in insertion order. */
export type JsonObject = Map<string, JsonValue>;

const SHORT: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

/** A JSON string literal as Go writes it. */
export function goString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      rep = SHORT[c] ?? `\\u00${c.toString(16).padStart(2, '0')}`;
    } else if (c === 0x2028 || c === 0x2029) {
      rep = `\\u${c.toString(16)}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate cannot be UTF-8; Go writes U+FFFD for invalid text.
      const pair = c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (pair) { i++; continue; }
      rep = '\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

function scalar(v: JsonValue): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean': return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new RangeError(`cannot write ${v} as JSON`);
      return String(v);
    case 'bigint': return v.toString();
    case 'string': return goString(v);
    default: return undefined;
  }
}

/** Compact JSON (json.Marshal). */
export function compactJson(v: JsonValue): string {
  const s = scalar(v);
  if (s !== undefined) return s;
  if (Array.isArray(v)) return `[${v.map(compactJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of v as JsonObject) parts.push(`${goString(k)}:${compactJson(x)}`);
  return `{${parts.join(',')}}`;
}

/** Indented JSON (json.MarshalIndent(v, "", indent)), starting at nesting `level`. */
export function indentJson(v: JsonValue, indent = '  ', level = 0): string {
  const s = scalar(v);
  if (s !== undefined) return s;
  const inner = indent.repeat(level + 1);
  const outer = indent.repeat(level);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + indentJson(x, indent, level + 1)).join(',\n')}\n${outer}]`;
  }
  const obj = v as JsonObject;
  if (obj.size === 0) return '{}';
  const parts: string[] = [];
  for (const [k, x] of obj) parts.push(`${inner}${goString(k)}: ${indentJson(x, indent, level + 1)}`);
  return `{\n${parts.join(',\n')}\n${outer}}`;
}

/** Build a JsonObject from [key, value] pairs, leaving out undefined values. */
export function obj(pairs: ReadonlyArray<readonly [string, JsonValue | undefined]>): JsonObject {
  const m: JsonObject = new Map();
  for (const [k, v] of pairs) if (v !== undefined) m.set(k, v);
  return m;
}
