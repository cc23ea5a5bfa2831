/**
 * The dump's escaping of names, symlink targets and xattr values (FORMAT.md 8.3). Bytes are kept as
 * UTF-8 except control characters (< 0x20), '%', '"', '\' and every byte of an invalid UTF-8
 * sequence, which become '%' + two upper-case hex digits. The result is embedded in JSON quotes
 * with no further JSON escaping, which is safe because every character JSON would escape is escaped
 * here already.
 *
 * The Go dumper escapes code points below 32 (so a space is kept as is); its unescaper accepts any
 * `%XY`, so `%20` written by another tool still loads.
 */
const HEX = '0123456789ABCDEF';

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the bytes there are not one. */
function utf8SequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  let n: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > b.length) return 0;
  let cp = c & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const cc = b[i + k]!;
    if ((cc & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid (Go agrees).
  if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
  return n;
}

function needsEscape(c: number): boolean {
  return c < 0x20 || c === 0x25 /* % */ || c === 0x22 /* " */ || c === 0x5c /* \ */;
}

/** Escape raw bytes for the dump. Strings with nothing to escape come back unchanged. */
export function escapeBytes(raw: Buffer | string): string {
  const b = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const out: number[] = [];
  let changed = false;
  for (let i = 0; i < b.length; ) {
    const n = utf8SequenceLength(b, i);
    if (n === 0 || (n === 1 && needsEscape(b[i]!))) {
      const c = b[i]!;
      out.push(0x25, HEX.charCodeAt(c >> 4), HEX.charCodeAt(c & 15));
      changed = true;
      i += 1;
    } else {
      for (let k = 0; k < n; k++) out.push(b[i + k]!);
      i += n;
    }
  }
  return changed ? Buffer.from(out).toString('utf8') : b.toString('utf8');
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1; // lower-case hex is not an escape (Go's parser accepts upper case only)
}

/** Undo `escapeBytes`: `%XY` (upper-case hex) becomes the byte; other '%' are kept. */
export function unescapeBytes(text: string): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (!text.includes('%')) return b;
  const out = Buffer.allocUnsafe(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    let c = b[i]!;
    if (c === 0x25 && i + 2 < b.length) {
      const h = hexValue(b[i + 1]!);
      const l = hexValue(b[i + 2]!);
      if (h >= 0 && l >= 0) {
        c = h * 16 + l;
        i += 2;
      }
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}
