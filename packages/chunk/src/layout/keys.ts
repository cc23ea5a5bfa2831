// Object names of blocks, exactly as JuiceFS 1.x names them (FORMAT.md 7.2). Keys here do not
// carry the `<Name>/` volume prefix: the storage is wrapped in a prefixed view for that.

/** Where one block of a slice lives and how long it is uncompressed. */
export interface BlockRef {
  /** Slice id. */
  id: number;
  /** Block index within the slice. */
  index: number;
  /** Uncompressed length of the block in bytes. */
  length: number;
}

/** `chunks/<id/1e6>/<id/1e3>/<id>_<i>_<len>`, or the hashed form `chunks/<HH>/<id/1e6>/<id>_<i>_<len>`. */
export function blockKey(ref: BlockRef, hashPrefix = false): string {
  const { id, index, length } = ref;
  const name = `${id}_${index}_${length}`;
  if (hashPrefix) {
    const hh = (id % 256).toString(16).toUpperCase().padStart(2, '0');
    return `chunks/${hh}/${Math.floor(id / 1e6)}/${name}`;
  }
  return `chunks/${Math.floor(id / 1e6)}/${Math.floor(id / 1e3)}/${name}`;
}

/** Parses the last path element of a block key (`<id>_<i>_<len>`); undefined when it is not one. */
export function parseBlockName(key: string): BlockRef | undefined {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const m = /^(\d+)_(\d+)_(\d+)$/.exec(base);
  if (!m) return undefined;
  return { id: Number(m[1]), index: Number(m[2]), length: Number(m[3]) };
}

/** The blocks a slice of `length` bytes is stored as: all `blockSize` long except maybe the last. */
export function blocksOf(id: number, length: number, blockSize: number): BlockRef[] {
  const out: BlockRef[] = [];
  for (let index = 0; index * blockSize < length; index++) {
    out.push({ id, index, length: Math.min(blockSize, length - index * blockSize) });
  }
  return out;
}

/** Length of block `index` of a slice of `sliceLength` bytes (0 when past the end). */
export function blockLength(sliceLength: number, index: number, blockSize: number): number {
  return Math.max(0, Math.min(blockSize, sliceLength - index * blockSize));
}
