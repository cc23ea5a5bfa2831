import { fsError } from '@juicefs/core';

/**
 * A JSON parser that keeps every integer exact: integers beyond 2^53 (the trash inodes, for one)
 * come back as bigint, everything else as JSON.parse would give it. Objects come back as plain
 * objects without a prototype, so member names such as "__proto__" are ordinary keys.
 */
export type ParsedJson = null | boolean | number | bigint | string | ParsedJson[] | ParsedObject;
export interface ParsedObject {
  [key: string]: ParsedJson | undefined;
}

export function parseJsonLossless(text: string): ParsedJson {
  let i = 0;
  const fail = (what: string): never => {
    const line = text.slice(0, i).split('\n').length;
    throw fsError('EINVAL', `invalid dump JSON at line ${line}: ${what}; is this a file written by juicefs dump?`);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const str = (): string => {
    // Fast path: no escapes up to the closing quote.
    const start = ++i;
    let j = start;
    for (;;) {
      const c = text.charCodeAt(j);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 0x22) { i = j + 1; return text.slice(start, j); }
      if (c === 0x5c) break;
      j++;
    }
    // Slow path with escapes: let JSON.parse decode the literal.
    let k = start;
    for (;;) {
      const c = text.charCodeAt(k);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 0x5c) { k += 2; continue; }
      if (c === 0x22) break;
      k++;
    }
    i = k + 1;
    try {
      return JSON.parse(text.slice(start - 1, k + 1)) as string;
    } catch {
      return fail('bad string escape');
    }
  };
  const num = (): number | bigint => {
    const m = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    m.lastIndex = i;
    const r = m.exec(text);
    if (!r) return fail('bad number');
    i += r[0].length;
    if (r[2] === undefined && r[3] === undefined) {
      const n = Number(r[0]);
      return Number.isSafeInteger(n) ? n : BigInt(r[0]);
    }
    return Number(r[0]);
  };
  const value = (): ParsedJson => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o: ParsedObject = Object.create(null) as ParsedObject;
      ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name');
        const k = str();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        o[k] = value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const a: ParsedJson[] = [];
      ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    return num();
  };
  const v = value();
  ws();
  if (i < text.length) fail('trailing characters');
  return v;
}
