import { fsError } from '@juicefs/core';

/** Unit letters JuiceFS takes after a size, as powers of 1024 (B is bytes). */
const SHIFT: Readonly<Record<string, number>> = { B: 0, K: 10, M: 20, G: 30, T: 40, P: 50, E: 60 };

/**
 * A size flag read as JuiceFS reads it (utils.ParseBytesStr): a number, in `unit` when bare, or
 * followed by one letter B, K, M, G, T, P or E (powers of 1024), so `--capacity 100` is 100 GiB,
 * `--capacity 1T` 1 TiB and `--block-size 1M` 1 MiB. Returns bytes.
 *
 * Why not a yargs number: "1T" or "1M" became NaN there, which went into the format as null
 * (a volume with "BlockSize": null cannot be mounted) or was dropped without a word.
 */
export function parseSizeFlag(flag: string, text: unknown, unit: 'K' | 'G'): number {
  const s = String(text ?? '').trim();
  const m = /^(\d+(?:\.\d*)?|\.\d+)([A-Za-z]?)$/.exec(s);
  const shift = m ? SHIFT[(m[2] || unit).toUpperCase()] : undefined;
  if (!m || shift === undefined) {
    const example = unit === 'G' ? '100 (GiB), 512M or 1T' : '4096 (KiB), 1M or 4M';
    throw fsError('EINVAL', `invalid --${flag} "${s}": give a number, in ${unit === 'G' ? 'GiB' : 'KiB'} unless it ends with a unit B, K, M, G, T, P or E, e.g. ${example}`);
  }
  return Math.floor(Number(m[1]) * 2 ** shift);
}

/** A count flag (inodes, days, Mbps): a whole number, 0 or more, or a clear error naming the flag. */
export function parseCountFlag(flag: string, text: unknown, meaning: string): number {
  const s = String(text ?? '').trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n)) throw fsError('EINVAL', `invalid --${flag} "${s}": give a whole number, 0 or more (${meaning})`);
  return n;
}
