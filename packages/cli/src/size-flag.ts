import { fsError } from '@juicefs/core';

/** Unit letters JuiceFS takes after a size, as powers of 1024 (B is bytes). */
const SHIFT: Readonly<Record<string, number>> = { B: 0, K: 10, M: 20, G: 30, T: 40, P: 50, E: 60 };

/**
 * A size flag read as JuiceFS reads it (utils.ParseBytesStr): a number, in `unit` when bare, or
 * followed by one letter B, K, M, G, T, P or E (powers of 1024), so `--capacity 100` is 100 GiB,
 * `--capacity 1T` 1 TiB, `--block-size 1M` 1 MiB and `--cache-size 100G` 100 GiB. Returns bytes.
 *
 * Why not a yargs number: "1T" or "1M" became NaN there, which went into the format as null
 * (a volume with "BlockSize": null cannot be mounted) or was dropped without a word.
 */
export function parseSizeFlag(flag: string, text: unknown, unit: 'B' | 'K' | 'M' | 'G'): number {
  const s = String(text ?? '').trim();
  const m = /^(\d+(?:\.\d*)?|\.\d+)([A-Za-z]?)$/.exec(s);
  const shift = m ? SHIFT[(m[2] || unit).toUpperCase()] : undefined;
  if (!m || shift === undefined) {
    throw fsError('EINVAL', `invalid --${flag} "${s}": give a number, in ${UNIT_NAME[unit]} unless it ends with a unit B, K, M, G, T, P or E, e.g. ${EXAMPLE[unit]}`);
  }
  return Math.floor(Number(m[1]) * 2 ** shift);
}

const UNIT_NAME: Readonly<Record<string, string>> = { B: 'bytes', K: 'KiB', M: 'MiB', G: 'GiB' };
const EXAMPLE: Readonly<Record<string, string>> = { B: '4194304, 512K or 4M', K: '4096 (KiB), 1M or 4M', M: '300 (MiB), 512M or 100G', G: '100 (GiB), 512M or 1T' };

/**
 * A bandwidth flag read as JuiceFS reads one (utils.ParseMbpsStr): Mbps, or a number followed by
 * M, G, T or P (decimal: `1G` is 1000 Mbps). Returns Mbps; 0 means no limit.
 */
export function parseMbpsFlag(flag: string, text: unknown): number {
  const s = String(text ?? '').trim();
  const m = /^(\d+(?:\.\d*)?|\.\d+)([A-Za-z]?)$/.exec(s);
  const scale = m ? MBPS_SCALE[(m[2] || 'M').toUpperCase()] : undefined;
  if (!m || scale === undefined) throw fsError('EINVAL', `invalid --${flag} "${s}": give Mbps, or a number ending with M, G, T or P (e.g. 100, 1G); 0 is no limit`);
  return Math.floor(Number(m[1]) * scale);
}

const MBPS_SCALE: Readonly<Record<string, number>> = { M: 1, G: 1e3, T: 1e6, P: 1e9 };

/** A count flag (inodes, days, Mbps): a whole number, 0 or more, or a clear error naming the flag. */
export function parseCountFlag(flag: string, text: unknown, meaning: string): number {
  const s = String(text ?? '').trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n)) throw fsError('EINVAL', `invalid --${flag} "${s}": give a whole number, 0 or more (${meaning})`);
  return n;
}
