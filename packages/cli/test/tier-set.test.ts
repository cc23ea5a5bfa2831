import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultFormat, NodeType, ROOT_CONTEXT, ROOT_INODE, type Ino } from '@juicefs/core';
import { openVolumeStorage } from '@juicefs/chunk';
import { BaseMeta, MemoryEngine } from '@juicefs/meta';
import { restoreObjects, setTier } from '../src/control/tier-set.js';
import { verifyRequest } from '../src/gateway/sigv4.js';

// `juicefs tier set`'s walk: which nodes take the tier, and which objects are put again in the
// tier's class, through the real S3 client (OpenDAL) to a local server that records requests.

/** Whether `req` carries a valid SigV4 signature for the key pair, by the gateway's verifier (written apart from the signer: each checks the other). */
function signedFor(req: IncomingMessage, accessKey: string, secretKey: string): boolean {
  try {
    verifyRequest({ method: req.method ?? '', rawUrl: req.url ?? '', headers: req.headers }, { accessKey, secretKey });
    return true;
  } catch {
    return false;
  }
}

/** An S3 stand-in: GET answers 4 bytes, PUT succeeds; every request is recorded with its headers. */
async function recordingS3(): Promise<{ url: string; seen: Array<{ line: string; headers: IncomingHttpHeaders; body: Buffer; signed: boolean }>; close: () => Promise<void> }> {
  const seen: Array<{ line: string; headers: IncomingHttpHeaders; body: Buffer; signed: boolean }> = [];
  const server = createServer((req, res) => {
    const entry = { line: `${req.method} ${req.url}`, headers: req.headers, body: Buffer.alloc(0), signed: signedFor(req, 'ak', 'sk') };
    seen.push(entry);
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      entry.body = Buffer.concat(parts);
      const body = req.method === 'GET' ? 'data' : '';
      res.writeHead(200, { 'Content-Length': body.length, ETag: '"e"' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const BLOCK = 64 * 1024;

async function volume(url: string) {
  const format = {
    ...defaultFormat('vol1', '00000000-0000-0000-0000-0000000000aa', `${url}/bucket`),
    Storage: 's3', AccessKey: 'ak', SecretKey: 'sk', BlockSize: BLOCK / 1024,
    Tiers: { '0': { ID: 0, StorageClass: '', Tag: '' }, '1': { ID: 1, StorageClass: 'STANDARD_IA', Tag: '' } },
  };
  const meta = new BaseMeta(new MemoryEngine());
  await meta.init(format);
  await meta.load();
  /** A file of `length` bytes in one slice of its own. */
  const file = async (parent: Ino, name: string, length: number): Promise<{ ino: Ino; slice: number }> => {
    const f = await meta.create(ROOT_CONTEXT, parent, name, 0o644, 0o022, 0);
    const id = await meta.newSlice();
    await meta.write(ROOT_CONTEXT, f.ino, 0, { pos: 0, id, size: length, off: 0, len: length });
    return { ino: f.ino, slice: id };
  };
  return { format, meta, file, storage: openVolumeStorage(format) };
}

describe('tier set', () => {
  it('rewrites each file\'s objects in the tier\'s class, then sets the id; a directory and its entries, everything below with recursive', async () => {
    const s3 = await recordingS3();
    try {
      const v = await volume(s3.url);
      const dir = await v.meta.mkdir(ROOT_CONTEXT, ROOT_INODE, 'archive', 0o755, 0o022);
      const big = await v.file(dir.ino, 'big', BLOCK + 10); // two blocks
      const sub = await v.meta.mkdir(ROOT_CONTEXT, dir.ino, 'sub', 0o755, 0o022);
      const deep = await v.file(sub.ino, 'deep', 10);
      await v.meta.symlink(ROOT_CONTEXT, dir.ino, 'link', 'big');
      const outside = await v.file(ROOT_INODE, 'outside', 10);
      const tierOf = async (ino: Ino) => (await v.meta.getAttr(ROOT_CONTEXT, ino)).tier;

      const top = { ino: dir.ino, attr: await v.meta.getAttr(ROOT_CONTEXT, dir.ino) };
      const flat = await setTier(v.meta, v.storage, v.format, top, 1, { put: { storageClass: 'STANDARD_IA' }, recursive: false, force: false });
      expect(flat).toEqual({ nodes: 3, objects: 2, skipped: 0 }); // archive, big (2 objects), sub
      expect([await tierOf(dir.ino), await tierOf(big.ino), await tierOf(sub.ino), await tierOf(deep.ino), await tierOf(outside.ino)]).toEqual([1, 1, 1, 0, 0]);
      const puts = () => s3.seen.filter((r) => r.line.startsWith('PUT')).map((r) => [r.line, r.headers['x-amz-storage-class']]);
      expect(puts()).toEqual([
        [`PUT /bucket/vol1/chunks/0/0/${big.slice}_0_${BLOCK}`, 'STANDARD_IA'],
        [`PUT /bucket/vol1/chunks/0/0/${big.slice}_1_10`, 'STANDARD_IA'],
      ]);
      // Each object was read back first: the rewrite carries the bytes the bucket holds.
      expect(s3.seen.filter((r) => r.line.startsWith('GET')).map((r) => r.line)).toEqual([
        `GET /bucket/vol1/chunks/0/0/${big.slice}_0_${BLOCK}`,
        `GET /bucket/vol1/chunks/0/0/${big.slice}_1_10`,
      ]);

      s3.seen.length = 0;
      const again = await setTier(v.meta, v.storage, v.format, { ino: dir.ino, attr: await v.meta.getAttr(ROOT_CONTEXT, dir.ino) }, 1, { put: { storageClass: 'STANDARD_IA' }, recursive: true, force: false });
      expect(again).toEqual({ nodes: 1, objects: 1, skipped: 3 }); // only deep was not in tier 1
      expect(await tierOf(deep.ino)).toBe(1);
      expect(puts()).toEqual([[`PUT /bucket/vol1/chunks/0/0/${deep.slice}_0_10`, 'STANDARD_IA']]);

      s3.seen.length = 0;
      const back = await setTier(v.meta, v.storage, v.format, { ino: big.ino, attr: await v.meta.getAttr(ROOT_CONTEXT, big.ino) }, 0, { put: { storageClass: '' }, recursive: false, force: false });
      expect(back).toEqual({ nodes: 1, objects: 2, skipped: 0 });
      expect(puts().map(([, cls]) => cls)).toEqual([undefined, undefined]); // tier 0 without a class: the bucket's default
      expect((await v.meta.getAttr(ROOT_CONTEXT, big.ino)).type).toBe(NodeType.File);

      // A tier with tags: each object goes back in one signed PUT carrying the class and the tags.
      s3.seen.length = 0;
      const tagged = await setTier(v.meta, v.storage, v.format, { ino: deep.ino, attr: await v.meta.getAttr(ROOT_CONTEXT, deep.ino) }, 2, {
        put: { storageClass: 'GLACIER_IR', tags: 'team=a&cold=1' }, recursive: false, force: false,
      });
      expect(tagged).toEqual({ nodes: 1, objects: 1, skipped: 0 });
      const put = s3.seen.find((r) => r.line.startsWith('PUT'))!;
      expect(put.line).toBe(`PUT /bucket/vol1/chunks/0/0/${deep.slice}_0_10`);
      expect([put.headers['x-amz-storage-class'], put.headers['x-amz-tagging']]).toEqual(['GLACIER_IR', 'team=a&cold=1']);
      expect(String(put.headers['authorization'])).toMatch(/SignedHeaders=[^,]*x-amz-storage-class;x-amz-tagging/);
      expect(put.signed).toBe(true); // checked by the gateway's verifier, written apart from the signer
      expect(put.body.toString()).toBe('data'); // the bytes the bucket held, put back
    } finally {
      await s3.close();
    }
  });

  it('on a storage without classes only the ids change', async () => {
    const s3 = await recordingS3();
    try {
      const v = await volume(s3.url);
      const f = await v.file(ROOT_INODE, 'f', 10);
      const r = await setTier(v.meta, v.storage, v.format, { ino: f.ino, attr: await v.meta.getAttr(ROOT_CONTEXT, f.ino) }, 1, { put: undefined, recursive: false, force: false });
      expect(r).toEqual({ nodes: 1, objects: 0, skipped: 0 });
      expect((await v.meta.getAttr(ROOT_CONTEXT, f.ino)).tier).toBe(1);
      expect(s3.seen).toEqual([]);
    } finally {
      await s3.close();
    }
  });
});

describe('tier restore', () => {
  it('asks for a restore of every object of the files below a directory, signed as S3 checks it, and counts what each found', async () => {
    // The answers S3 gives, by the order of the requests: started, in progress, restored, not archived.
    const answers: Array<[number, string]> = [
      [202, ''],
      [409, '<Error><Code>RestoreAlreadyInProgress</Code></Error>'],
      [200, ''],
      [403, '<Error><Code>InvalidObjectState</Code></Error>'],
    ];
    const seen: Array<{ line: string; body: string; signed: boolean }> = [];
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        seen.push({ line: `${req.method} ${req.url}`, body: Buffer.concat(parts).toString(), signed: signedFor(req, 'ak', 'sk') });
        const [status, body] = answers[(seen.length - 1) % answers.length]!;
        res.writeHead(status, { 'Content-Length': body.length });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const v = await volume(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const dir = await v.meta.mkdir(ROOT_CONTEXT, ROOT_INODE, 'archive', 0o755, 0o022);
      const a = await v.file(dir.ino, 'a', BLOCK + 10); // two objects
      const sub = await v.meta.mkdir(ROOT_CONTEXT, dir.ino, 'sub', 0o755, 0o022);
      const b = await v.file(sub.ino, 'b', 10);
      await v.file(ROOT_INODE, 'outside', 10);
      const restore = v.storage.restore?.bind(v.storage);
      expect(restore).toBeDefined();
      const top = { ino: dir.ino, attr: await v.meta.getAttr(ROOT_CONTEXT, dir.ino) };
      const flat = await restoreObjects(v.meta, restore!, v.format, top, false);
      expect(flat).toEqual({ started: 1, 'in-progress': 1, restored: 0, 'not-archived': 0 });
      const deep = await restoreObjects(v.meta, restore!, v.format, top, true);
      expect(deep).toEqual({ started: 1, 'in-progress': 0, restored: 1, 'not-archived': 1 }); // answers 3-5
      expect(seen.map((r) => r.line)).toEqual([
        `POST /bucket/vol1/chunks/0/0/${a.slice}_0_${BLOCK}?restore=`,
        `POST /bucket/vol1/chunks/0/0/${a.slice}_1_10?restore=`,
        `POST /bucket/vol1/chunks/0/0/${a.slice}_0_${BLOCK}?restore=`,
        `POST /bucket/vol1/chunks/0/0/${a.slice}_1_10?restore=`,
        `POST /bucket/vol1/chunks/0/0/${b.slice}_0_10?restore=`,
      ]);
      expect(seen.every((r) => r.signed)).toBe(true);
      expect(seen[0]!.body).toMatch(/<RestoreRequest [^>]*><Days>1<\/Days><GlacierJobParameters><Tier>Standard<\/Tier><\/GlacierJobParameters><\/RestoreRequest>/);
      expect(await restore!(`chunks/0/0/${b.slice}_0_10`)).toBe('in-progress'); // answer 6
    } finally {
      await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
    }
  });

  it('a file bucket has no restore', async () => {
    const { openVolumeStorage: open } = await import('@juicefs/chunk');
    expect(open(defaultFormat('vol1', '00000000-0000-0000-0000-0000000000ab', '/tmp/nowhere')).restore).toBeUndefined();
  });
});
