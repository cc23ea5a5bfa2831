import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { compressionFor, compressionOfBytes, openDumpInput, openDumpOutput } from '../src/dump-file.js';

// Dump files named as JuiceFS names them, checked against the reference tools (the zstd and gzip
// commands, which scripts/setup.sh installs) rather than only against our own reader.

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-dumpfile-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Some megabytes of dump-like text, compressible but not trivially. */
function dumpLikeText(lines: number): Buffer {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`    "${i}": {"attr": {"inode": ${i}, "type": "regular", "mode": ${(i * 7919) % 4096}, "length": ${i * 131}}},\n`);
  return Buffer.from(out.join(''));
}

async function writeThrough(file: string, data: Buffer, chunk = 64 * 1024): Promise<void> {
  const output = await openDumpOutput(file);
  for (let off = 0; off < data.length; off += chunk) {
    if (!output.out.write(data.subarray(off, off + chunk))) await new Promise((r) => output.out.once('drain', r));
  }
  await output.commit();
}

async function readAll(input: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of input) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(parts);
}

function zstdCli(...args: string[]): Buffer {
  const r = spawnSync('zstd', args, { maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`the zstd command is missing (${r.error.message}): run bash scripts/setup.sh`);
  if (r.status !== 0) throw new Error(`zstd ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

describe('dump file names', () => {
  it('compress as JuiceFS decides by the name: .gz gzip, .zstd Zstandard, anything else plain', () => {
    expect(compressionFor('meta.json.gz')).toBe('gzip');
    expect(compressionFor('meta.json.zstd')).toBe('zstd');
    expect(compressionFor('meta.bin.zstd')).toBe('zstd');
    // upstream writes these plain, so this client must too (its files are read by Go's load)
    expect(compressionFor('meta.json.zst')).toBe('none');
    expect(compressionFor('meta.json')).toBe('none');
  });

  it('loads recognise gzip and Zstandard by their first bytes', () => {
    expect(compressionOfBytes(zlib.gzipSync(Buffer.from('{}')))).toBe('gzip');
    expect(compressionOfBytes(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04]))).toBe('zstd');
    expect(compressionOfBytes(Buffer.from('{\n  "Setting"'))).toBe('none');
    expect(compressionOfBytes(Buffer.alloc(0))).toBe('none');
  });
});

describe('openDumpOutput', () => {
  it('writes a .zstd file the reference zstd decoder reads back byte for byte, through FILE.tmp', async () => {
    const data = dumpLikeText(200_000); // ~17 MiB: many compressor blocks and backpressure
    const file = path.join(dir, 'meta.json.zstd');
    await writeThrough(file, data);
    expect(fs.readdirSync(dir)).toEqual(['meta.json.zstd']);
    const packed = fs.readFileSync(file);
    expect(compressionOfBytes(packed)).toBe('zstd');
    expect(packed.length).toBeLessThan(data.length / 4);
    expect(zstdCli('-dc', file).equals(data)).toBe(true);
  });

  it('writes .gz with gzip and other names plain', async () => {
    const data = dumpLikeText(5000);
    await writeThrough(path.join(dir, 'm.json.gz'), data);
    expect(zlib.gunzipSync(fs.readFileSync(path.join(dir, 'm.json.gz'))).equals(data)).toBe(true);
    await writeThrough(path.join(dir, 'm.json'), data);
    expect(fs.readFileSync(path.join(dir, 'm.json')).equals(data)).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['m.json', 'm.json.gz']);
  });

  it('abort leaves an earlier FILE as it was and no temporary file', async () => {
    const file = path.join(dir, 'meta.json.zstd');
    await writeThrough(file, Buffer.from('{"old": true}\n'));
    const before = fs.readFileSync(file);
    const output = await openDumpOutput(file);
    output.out.write(dumpLikeText(1000));
    await output.abort();
    expect(fs.readdirSync(dir)).toEqual(['meta.json.zstd']);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('names the missing directory', async () => {
    await expect(openDumpOutput(path.join(dir, 'nope', 'm.json.zstd'))).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining(`directory ${path.join(dir, 'nope')} does not exist`),
    });
  });
});

describe('openDumpInput', () => {
  it('reads a file the zstd command compressed, whatever its name, several frames included', async () => {
    const a = dumpLikeText(30_000);
    const b = dumpLikeText(100);
    fs.writeFileSync(path.join(dir, 'a'), a);
    fs.writeFileSync(path.join(dir, 'b'), b);
    // Two frames one after the other, as a stream written in pieces may be.
    const framed = Buffer.concat([zstdCli('-q', '-19', '-c', path.join(dir, 'a')), zstdCli('-q', '-1', '-c', path.join(dir, 'b'))]);
    fs.writeFileSync(path.join(dir, 'dump.zst'), framed);
    expect((await readAll(await openDumpInput(path.join(dir, 'dump.zst')))).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('reads gzip and plain files', async () => {
    const data = dumpLikeText(3000);
    fs.writeFileSync(path.join(dir, 'd.gz'), zlib.gzipSync(data));
    fs.writeFileSync(path.join(dir, 'd.json'), data);
    expect((await readAll(await openDumpInput(path.join(dir, 'd.gz')))).equals(data)).toBe(true);
    expect((await readAll(await openDumpInput(path.join(dir, 'd.json')))).equals(data)).toBe(true);
  });

  it('fails on damaged compressed data with the file named', async () => {
    const whole = zlib.gzipSync(dumpLikeText(3000));
    const cut = path.join(dir, 'cut.json.gz');
    fs.writeFileSync(cut, whole.subarray(0, whole.length / 2));
    await expect(readAll(await openDumpInput(cut))).rejects.toMatchObject({
      code: 'EIO',
      message: expect.stringMatching(/cannot read dump .*cut\.json\.gz: its gzip data is damaged/),
    });
    fs.writeFileSync(path.join(dir, 'x'), dumpLikeText(3000));
    const z = zstdCli('-q', '-c', path.join(dir, 'x'));
    fs.writeFileSync(path.join(dir, 'bad.zstd'), Buffer.concat([z.subarray(0, 20), Buffer.alloc(64, 0xff), z.subarray(84)]));
    await expect(readAll(await openDumpInput(path.join(dir, 'bad.zstd')))).rejects.toMatchObject({
      code: 'EIO',
      message: expect.stringMatching(/bad\.zstd: its Zstandard data is damaged/),
    });
  });

  it('says which file is missing', async () => {
    await expect(openDumpInput(path.join(dir, 'none.json'))).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('cannot read dump') });
  });
});
