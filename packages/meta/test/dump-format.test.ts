import { escapeBytes, unescapeBytes } from '../src/dump/escape.js';
import { compactJson, goString, indentJson, obj } from '../src/dump/go-json.js';
import { parseJsonLossless } from '../src/dump/json-parse.js';

// Pure pieces of the dump format (FORMAT.md 8.3 escaping, Go's JSON text, lossless integers).

describe('dump escaping', () => {
  it('keeps plain UTF-8 unchanged', () => {
    expect(escapeBytes('UTF8果汁数据科技有限公司文件')).toBe('UTF8果汁数据科技有限公司文件');
    expect(escapeBytes('a b')).toBe('a b');
  });

  it('escapes %, quote, backslash and control characters with upper-case hex', () => {
    expect(escapeBytes('果汁%25')).toBe('果汁%2525');
    expect(escapeBytes('a"b\\c\nd\x01')).toBe('a%22b%5Cc%0Ad%01');
  });

  it('escapes every byte of invalid UTF-8 (the GBK name of metadata.sample)', () => {
    const dumped = 'GBK%B9%FB֭%CA%FD%BEݿƼ%BC%D3%D0%CF޹%AB˾%CEļ%FE';
    const raw = unescapeBytes(dumped);
    expect(raw.subarray(0, 5).toString('hex')).toBe('47424bb9fb');
    expect(raw.toString('utf8')).toContain('\ufffd'); // not valid UTF-8 as a whole
    expect(escapeBytes(raw)).toBe(dumped);
  });

  it('round-trips arbitrary bytes', () => {
    for (let n = 0; n < 200; n++) {
      const b = Buffer.from(Array.from({ length: 1 + (n % 17) }, (_, i) => (n * 37 + i * 101) % 256));
      const e = escapeBytes(b);
      expect(e).not.toMatch(/["\\\x00-\x1f]/);
      expect(unescapeBytes(e).equals(b)).toBe(true);
    }
  });

  it('unescapes only upper-case hex and leaves other % alone', () => {
    expect(unescapeBytes('%41%4a%zz%').toString('latin1')).toBe('A%4a%zz%');
  });
});

describe("Go's JSON text", () => {
  it('escapes HTML characters and line separators as Go does', () => {
    expect(goString('a<b>&c\u2028"\\\n\x7f')).toBe('"a\\u003cb\\u003e\\u0026c\\u2028\\"\\\\\\n\x7f"');
  });

  it('prints members in insertion order, compact and indented', () => {
    const v = obj([['b', 1], ['a', [1n, 'x']], ['e', []], ['o', new Map()], ['n', null]]);
    expect(compactJson(v)).toBe('{"b":1,"a":[1,"x"],"e":[],"o":{},"n":null}');
    expect(indentJson(v)).toBe('{\n  "b": 1,\n  "a": [\n    1,\n    "x"\n  ],\n  "e": [],\n  "o": {},\n  "n": null\n}');
  });
});

describe('lossless JSON parsing', () => {
  it('keeps inodes above 2^53 exact', () => {
    const v = parseJsonLossless('{"inode":9223372032828243969,"n":12,"f":1.5,"s":"a\\"b","l":[true,false,null]}');
    expect(v).toEqual({ inode: 9223372032828243969n, n: 12, f: 1.5, s: 'a"b', l: [true, false, null] });
  });

  it('names the line of a syntax error', () => {
    expect(() => parseJsonLossless('{\n"a": 1,\n"b": }')).toThrow(/line 3/);
  });
});
