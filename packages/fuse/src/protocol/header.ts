import { fsError } from '@juicefs/core';
import { IN_HEADER_SIZE, OUT_HEADER_SIZE } from './constants.js';
import { WireReader } from './wire.js';

/** fuse_in_header: who asks what about which node. */
export interface InHeader {
  len: number;
  opcode: number;
  unique: bigint;
  nodeid: bigint;
  uid: number;
  gid: number;
  pid: number;
  /** Length of request extensions (security context, supplementary groups) in bytes. */
  extlen: number;
}

/** One request as read from /dev/fuse: its header and the opcode-specific body. */
export interface RawRequest {
  header: InHeader;
  /** The opcode's argument bytes, without the header and without extensions. */
  body: Buffer;
  /** Extension bytes (only when the kernel sent any). */
  extensions: Buffer;
}

/** Split one buffer read from /dev/fuse into header and body; checks the lengths agree. */
export function decodeRequest(buf: Buffer): RawRequest {
  if (buf.length < IN_HEADER_SIZE) {
    throw fsError('EINVAL', `FUSE request of ${buf.length} bytes is shorter than its ${IN_HEADER_SIZE}-byte header`);
  }
  const r = new WireReader(buf);
  const len = r.u32();
  const opcode = r.u32();
  const unique = r.u64();
  const nodeid = r.u64();
  const uid = r.u32();
  const gid = r.u32();
  const pid = r.u32();
  const extlen = r.u16() * 8;
  r.skip(2);
  if (len !== buf.length) {
    throw fsError('EINVAL', `FUSE request header says ${len} bytes but ${buf.length} were read`);
  }
  if (IN_HEADER_SIZE + extlen > len) {
    throw fsError('EINVAL', `FUSE request extensions (${extlen} bytes) overrun the request (${len} bytes)`);
  }
  const bodyEnd = len - extlen;
  return {
    header: { len, opcode, unique, nodeid, uid, gid, pid, extlen },
    body: buf.subarray(IN_HEADER_SIZE, bodyEnd),
    extensions: buf.subarray(bodyEnd),
  };
}

/** Build the bytes of a reply: fuse_out_header followed by the payload parts. */
export function encodeReply(unique: bigint, errno: number, payload: readonly Uint8Array[] = []): Buffer {
  let len = OUT_HEADER_SIZE;
  for (const p of payload) len += p.length;
  const out = Buffer.allocUnsafe(len);
  out.writeUInt32LE(len, 0);
  out.writeInt32LE(errno === 0 ? 0 : -Math.abs(errno), 4);
  out.writeBigUInt64LE(unique, 8);
  let at = OUT_HEADER_SIZE;
  for (const p of payload) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Build a test request (header + body); the protocol tests and fakes use it. */
export function encodeRequest(
  h: Omit<InHeader, 'len' | 'extlen'> & { extlen?: number },
  body: Uint8Array = new Uint8Array(0),
): Buffer {
  const len = IN_HEADER_SIZE + body.length;
  const out = Buffer.alloc(len);
  out.writeUInt32LE(len, 0);
  out.writeUInt32LE(h.opcode, 4);
  out.writeBigUInt64LE(h.unique, 8);
  out.writeBigUInt64LE(h.nodeid, 16);
  out.writeUInt32LE(h.uid, 24);
  out.writeUInt32LE(h.gid, 28);
  out.writeUInt32LE(h.pid, 32);
  out.writeUInt16LE((h.extlen ?? 0) / 8, 36);
  out.set(body, IN_HEADER_SIZE);
  return out;
}
