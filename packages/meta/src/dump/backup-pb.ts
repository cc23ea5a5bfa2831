import { fsError } from '@juicefs/core';
import { PbWriter, int64, pbFields, pbRepeatedInts } from './protobuf.js';

/**
 * The messages of JuiceFS's `pkg/meta/pb/backup.proto` (1.3's binary backup), field numbers as
 * upstream declares them. Node, Chunk and Acl carry the engines' own binary records (attribute
 * record, 24-byte slices, ACL rule) as opaque bytes, exactly as upstream does.
 */
export interface PbNode { inode: bigint; data: Buffer }
export interface PbEdge { parent: bigint; inode: bigint; name: Buffer; type: number }
export interface PbChunk { inode: bigint; index: number; slices: Buffer }
export interface PbSliceRef { id: number; size: number; refs: number }
export interface PbXattr { inode: bigint; name: string; value: Buffer }
export interface PbParent { inode: bigint; parent: bigint; cnt: number }
export interface PbSymlink { inode: bigint; target: Buffer }
export interface PbSustained { sid: number; inodes: bigint[] }
export interface PbDelFile { inode: bigint; length: number; expire: number }
export interface PbStat { inode: bigint; dataLength: number; usedSpace: number; usedInodes: number }
export interface PbQuota { inode: bigint; maxSpace: number; maxInodes: number; usedSpace: number; usedInodes: number }
export interface PbAcl { id: number; data: Buffer }
export interface PbCounter { key: string; value: number }

/** A Batch holds one kind of list; the kind is also the segment type (upstream's segType*). */
export type Batch =
  | { kind: 'node'; list: PbNode[] }
  | { kind: 'edge'; list: PbEdge[] }
  | { kind: 'chunk'; list: PbChunk[] }
  | { kind: 'sliceRef'; list: PbSliceRef[] }
  | { kind: 'xattr'; list: PbXattr[] }
  | { kind: 'parent'; list: PbParent[] }
  | { kind: 'symlink'; list: PbSymlink[] }
  | { kind: 'sustained'; list: PbSustained[] }
  | { kind: 'delFile'; list: PbDelFile[] }
  | { kind: 'stat'; list: PbStat[] }
  | { kind: 'quota'; list: PbQuota[] }
  | { kind: 'acl'; list: PbAcl[] }
  | { kind: 'counter'; list: PbCounter[] };

export type BatchKind = Batch['kind'];

/** Batch's field number for each list (backup.proto `message Batch`). */
export const BATCH_FIELD: Record<BatchKind, number> = {
  node: 1, edge: 2, chunk: 3, sliceRef: 4, xattr: 5, parent: 6, symlink: 7,
  sustained: 8, delFile: 9, stat: 10, quota: 11, acl: 12, counter: 13,
};

function encodeItem(b: Batch, i: number): PbWriter {
  const w = new PbWriter();
  switch (b.kind) {
    case 'node': { const x = b.list[i]!; w.int(1, x.inode); w.bytes(2, x.data); break; }
    case 'edge': { const x = b.list[i]!; w.int(1, x.parent); w.int(2, x.inode); w.bytes(3, x.name); w.int(4, x.type); break; }
    case 'chunk': { const x = b.list[i]!; w.int(1, x.inode); w.int(2, x.index); w.bytes(3, x.slices); break; }
    case 'sliceRef': { const x = b.list[i]!; w.int(1, x.id); w.int(2, x.size); w.int(3, x.refs); break; }
    case 'xattr': { const x = b.list[i]!; w.int(1, x.inode); w.bytes(2, x.name); w.bytes(3, x.value); break; }
    case 'parent': { const x = b.list[i]!; w.int(1, x.inode); w.int(2, x.parent); w.int(3, x.cnt); break; }
    case 'symlink': { const x = b.list[i]!; w.int(1, x.inode); w.bytes(2, x.target); break; }
    case 'sustained': { const x = b.list[i]!; w.int(1, x.sid); w.packed(2, x.inodes); break; }
    case 'delFile': { const x = b.list[i]!; w.int(1, x.inode); w.int(2, x.length); w.int(3, x.expire); break; }
    case 'stat': { const x = b.list[i]!; w.int(1, x.inode); w.int(2, x.dataLength); w.int(3, x.usedSpace); w.int(4, x.usedInodes); break; }
    case 'quota': {
      const x = b.list[i]!;
      w.int(1, x.inode); w.int(2, x.maxSpace); w.int(3, x.maxInodes); w.int(4, x.usedSpace); w.int(5, x.usedInodes);
      break;
    }
    case 'acl': { const x = b.list[i]!; w.int(1, x.id); w.bytes(2, x.data); break; }
    case 'counter': { const x = b.list[i]!; w.bytes(1, x.key); w.int(2, x.value); break; }
  }
  return w;
}

export function encodeBatch(b: Batch): Buffer {
  const w = new PbWriter();
  const field = BATCH_FIELD[b.kind];
  for (let i = 0; i < b.list.length; i++) w.message(field, encodeItem(b, i));
  return w.finish();
}

/** `message Format { bytes data = 1; }`: the volume's format JSON. */
export function encodeFormatMsg(json: string): Buffer {
  const w = new PbWriter();
  w.bytes(1, json);
  return w.finish();
}

export function decodeFormatMsg(buf: Buffer): string {
  for (const f of pbFields(buf, 'Format')) if (f.field === 1 && f.wire === 2) return f.bytes.toString('utf8');
  return '';
}

const u = (v: bigint, what: string): number => {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fsError('EOVERFLOW', `invalid binary dump: ${what} ${v} is beyond 2^53`);
  return Number(v);
};

/** Decode a Batch of the given kind; other lists (there should be none) are ignored. */
export function decodeBatch(kind: BatchKind, buf: Buffer): Batch {
  const want = BATCH_FIELD[kind];
  const items: Buffer[] = [];
  for (const f of pbFields(buf, 'Batch')) if (f.field === want && f.wire === 2) items.push(f.bytes);
  const each = <T>(make: (fields: Map<number, { int: bigint; bytes: Buffer; all: bigint[] }>) => T): T[] =>
    items.map((item) => {
      const m = new Map<number, { int: bigint; bytes: Buffer; all: bigint[] }>();
      for (const f of pbFields(item, kind)) {
        const prev = m.get(f.field);
        const ints = f.wire === 0 || f.wire === 2 ? (f.wire === 0 ? [f.int] : []) : [];
        const entry = prev ?? { int: 0n, bytes: Buffer.alloc(0), all: [] };
        if (f.wire === 0) entry.int = f.int;
        if (f.wire === 2) entry.bytes = f.bytes;
        entry.all.push(...(f.wire === 2 && kind === 'sustained' && f.field === 2 ? pbRepeatedInts(f, kind) : ints));
        m.set(f.field, entry);
      }
      return make(m);
    });
  const I = (m: Map<number, { int: bigint }>, n: number): bigint => m.get(n)?.int ?? 0n;
  const B = (m: Map<number, { bytes: Buffer }>, n: number): Buffer => m.get(n)?.bytes ?? Buffer.alloc(0);
  switch (kind) {
    case 'node': return { kind, list: each((m) => ({ inode: I(m, 1), data: B(m, 2) })) };
    case 'edge': return { kind, list: each((m) => ({ parent: I(m, 1), inode: I(m, 2), name: B(m, 3), type: u(I(m, 4), 'edge type') })) };
    case 'chunk': return { kind, list: each((m) => ({ inode: I(m, 1), index: u(I(m, 2), 'chunk index'), slices: B(m, 3) })) };
    case 'sliceRef': return { kind, list: each((m) => ({ id: u(I(m, 1), 'slice id'), size: u(I(m, 2), 'slice size'), refs: int64(I(m, 3), 'refs') })) };
    case 'xattr': return { kind, list: each((m) => ({ inode: I(m, 1), name: B(m, 2).toString('utf8'), value: B(m, 3) })) };
    case 'parent': return { kind, list: each((m) => ({ inode: I(m, 1), parent: I(m, 2), cnt: int64(I(m, 3), 'parent count') })) };
    case 'symlink': return { kind, list: each((m) => ({ inode: I(m, 1), target: B(m, 2) })) };
    case 'sustained': return { kind, list: each((m) => ({ sid: u(I(m, 1), 'session id'), inodes: m.get(2)?.all ?? [] })) };
    case 'delFile': return { kind, list: each((m) => ({ inode: I(m, 1), length: u(I(m, 2), 'length'), expire: int64(I(m, 3), 'expire') })) };
    case 'stat': return { kind, list: each((m) => ({ inode: I(m, 1), dataLength: int64(I(m, 2), 'dataLength'), usedSpace: int64(I(m, 3), 'usedSpace'), usedInodes: int64(I(m, 4), 'usedInodes') })) };
    case 'quota': return { kind, list: each((m) => ({ inode: I(m, 1), maxSpace: int64(I(m, 2), 'maxSpace'), maxInodes: int64(I(m, 3), 'maxInodes'), usedSpace: int64(I(m, 4), 'usedSpace'), usedInodes: int64(I(m, 5), 'usedInodes') })) };
    case 'acl': return { kind, list: each((m) => ({ id: u(I(m, 1), 'acl id'), data: B(m, 2) })) };
    case 'counter': return { kind, list: each((m) => ({ key: B(m, 1).toString('utf8'), value: int64(I(m, 2), 'counter') })) };
  }
}

/** `message Footer { uint32 magic = 1; uint32 version = 2; map<string, SegInfo> infos = 3; }`. */
export interface Footer {
  magic: number;
  version: number;
  infos: Map<string, { offsets: bigint[]; num: number }>;
}

export function encodeFooter(f: Footer): Buffer {
  const w = new PbWriter();
  w.int(1, f.magic);
  w.int(2, f.version);
  // Go writes map entries in random order; sorting keys keeps our files reproducible.
  for (const name of [...f.infos.keys()].sort()) {
    const info = f.infos.get(name)!;
    const seg = new PbWriter();
    seg.packed(1, info.offsets);
    seg.int(2, info.num);
    const entry = new PbWriter();
    entry.bytes(1, name);
    entry.message(2, seg);
    w.message(3, entry);
  }
  return w.finish();
}

export function decodeFooter(buf: Buffer): Footer {
  const f: Footer = { magic: 0, version: 0, infos: new Map() };
  for (const x of pbFields(buf, 'Footer')) {
    if (x.field === 1) f.magic = Number(x.int);
    else if (x.field === 2) f.version = Number(x.int);
    else if (x.field === 3 && x.wire === 2) {
      let name = '';
      const info = { offsets: [] as bigint[], num: 0 };
      for (const e of pbFields(x.bytes, 'Footer.infos')) {
        if (e.field === 1) name = e.bytes.toString('utf8');
        else if (e.field === 2) {
          for (const s of pbFields(e.bytes, 'SegInfo')) {
            if (s.field === 1) info.offsets.push(...pbRepeatedInts(s, 'SegInfo.offset'));
            else if (s.field === 2) info.num = Number(s.int);
          }
        }
      }
      f.infos.set(name, info);
    }
  }
  return f;
}
