import type { Format, Slice } from '@juicefs/core';

/** One object a slice's visible range touches, as `juicefs info` lists it. */
export interface SliceObject {
  Key: string;
  Size: number;
  Off: number;
  Len: number;
}

/**
 * The objects (full keys, with the volume name) holding bytes [off, off+len) of a slice, and
 * which part of each is used (JuiceFS's CalcObjects). A hole (id 0) is one keyless entry.
 */
export function objectsOf(format: Format, s: Pick<Slice, 'id' | 'size' | 'off' | 'len'>): SliceObject[] {
  if (s.id === 0) return [{ Key: '', Size: s.size, Off: s.off, Len: s.len }];
  if (s.len === 0 || s.off + s.len > s.size) return [];
  const bsize = format.BlockSize * 1024;
  const prefix = format.HashPrefix
    ? `${format.Name}/chunks/${(s.id % 256).toString(16).toUpperCase().padStart(2, '0')}/${Math.floor(s.id / 1e6)}/${s.id}`
    : `${format.Name}/chunks/${Math.floor(s.id / 1e6)}/${Math.floor(s.id / 1e3)}/${s.id}`;
  const first = Math.floor(s.off / bsize);
  const last = Math.floor((s.off + s.len - 1) / bsize);
  const out: SliceObject[] = [];
  for (let i = first; i <= last; i++) {
    const size = Math.min(bsize, s.size - i * bsize);
    const start = i === first ? s.off - i * bsize : 0;
    const end = i === last ? s.off + s.len - i * bsize : size;
    out.push({ Key: `${prefix}_${i}_${size}`, Size: size, Off: start, Len: end - start });
  }
  return out;
}
