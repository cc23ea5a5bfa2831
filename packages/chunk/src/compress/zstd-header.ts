// The Go client sizes its zstd output buffer from the frame's content-size field (FORMAT.md 7.3,
// open points), but the zstd binding we have writes streaming frames without one. The field
// lives only in the frame header, so we add it there: the blocks and checksum are unchanged.

const MAGIC = 0xfd2fb528;

/**
 * Returns `frame` with a Frame_Content_Size field of `size` in its header when it lacks one.
 * Throws when `frame` is not a single zstd frame header we understand.
 */
export function withContentSize(frame: Buffer, size: number): Buffer {
  if (frame.length < 6 || frame.readUInt32LE(0) !== MAGIC) throw new Error('not a zstd frame');
  const fhd = frame[4] ?? 0;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  if (fcsFlag !== 0 || singleSegment === 1) return frame; // content size already recorded
  const dictIdFlag = fhd & 3;
  const dictIdBytes = [0, 1, 2, 4][dictIdFlag] ?? 0;
  // Header so far: magic(4) + descriptor(1) + window descriptor(1) + dictionary id.
  const at = 6 + dictIdBytes;
  const fcs = Buffer.alloc(4);
  fcs.writeUInt32LE(size >>> 0, 0);
  const out = Buffer.concat([frame.subarray(0, at), fcs, frame.subarray(at)]);
  out[4] = fhd | (2 << 6); // FCS field of 4 bytes
  return out;
}

/** The content size recorded in a frame header, or undefined when absent. */
export function contentSizeOf(frame: Buffer): number | undefined {
  if (frame.length < 6 || frame.readUInt32LE(0) !== MAGIC) return undefined;
  const fhd = frame[4] ?? 0;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][fhd & 3] ?? 0;
  const at = 5 + (singleSegment ? 0 : 1) + dictIdBytes;
  switch (fcsFlag) {
    case 0:
      return singleSegment ? frame[at] : undefined;
    case 1:
      return frame.readUInt16LE(at) + 256;
    case 2:
      return frame.readUInt32LE(at);
    default:
      return Number(frame.readBigUInt64LE(at));
  }
}
