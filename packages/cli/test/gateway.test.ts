import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Operator } from 'opendal';
import { createStorage } from '@juicefs/chunk';
import { Layout } from '../src/gateway/layout.js';
import { createGatewayServer, type GatewayOptions } from '../src/gateway/server.js';
import { stagingDirs, sweepStaleFiles } from '../src/gateway/stale-files.js';
import { openVolumeFs, type VolumeFs } from '../src/volume-fs.js';
import { juicefsAsync, mustFormat, pattern } from './tools-volume.js';
import { putChunked, RawS3, xmlAll } from './support/s3-raw.js';

// `juicefs gateway`: the S3 server run in this process on a real SQLite + local-directory volume,
// driven by real S3 clients (OpenDAL's s3 service, our own S3 object storage, boto3 when
// installed) and by raw signed requests, with what they do checked through the path API.

const AK = 'gatewayadmin';
const SK = 'gateway-secret-key';
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

interface Gateway {
  server: Server;
  endpoint: string;
  close(): Promise<void>;
}

async function startGateway(v: VolumeFs, o: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const server = createGatewayServer(v.fs, {
    bucket: v.format.Name, multiBuckets: false, keepEtag: true, objectTag: true, objectMeta: true, headDir: false, hideDirObject: false,
    readOnly: false, domains: [], credentials: { accessKey: AK, secretKey: SK }, ...o,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

let dir: string;
let meta: string;
let v: VolumeFs;
let gw: Gateway;
let raw: RawS3;
const BUCKET = 'gwvol';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-gateway-'));
  meta = `sqlite3://${dir}/meta.db`;
  mustFormat(meta, BUCKET, path.join(dir, 'bucket'), '--trash-days', '0');
  v = await openVolumeFs(meta);
  gw = await startGateway(v);
  raw = new RawS3(gw.endpoint, AK, SK);
});

afterAll(async () => {
  await gw?.close();
  await v?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Nothing left behind in the gateway's own directories. */
async function sysLeftovers(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string) => {
    for (const e of await v.fs.readdirEntries(p)) {
      const child = `${p}/${e.name}`;
      if ((await v.fs.stat(child)).isDirectory()) await walk(child);
      else out.push(child);
    }
  };
  if (await v.fs.exists('/.sys')) await walk('/.sys');
  return out;
}

describe('OpenDAL s3 service against the gateway', () => {
  let op: Operator;
  beforeAll(() => {
    op = new Operator('s3', {
      bucket: BUCKET, endpoint: gw.endpoint, region: 'us-east-1', access_key_id: AK, secret_access_key: SK,
      disable_config_load: 'true', disable_ec2_metadata: 'true', root: '/',
    });
  });

  it('writes, stats, reads (ranges too), lists and deletes objects; the files appear in the volume', async () => {
    await op.write('docs/readme.txt', 'hello gateway');
    await op.write('docs/deep/nested/file.bin', pattern(70000, 3));
    expect(await v.fs.readFile('/docs/readme.txt')).toEqual(Buffer.from('hello gateway'));
    expect((await v.fs.stat('/docs/deep/nested')).isDirectory()).toBe(true);
    const st = await op.stat('docs/deep/nested/file.bin');
    expect({ size: Number(st.contentLength), etag: st.etag }).toEqual({ size: 70000, etag: `"${md5(pattern(70000, 3))}"` });
    expect(await op.read('docs/deep/nested/file.bin')).toEqual(pattern(70000, 3));
    const reader = await op.reader('docs/readme.txt');
    const part = Buffer.alloc(7);
    await reader.read(part); // from offset 0
    expect(part.toString()).toBe('hello g');
    const names = (await op.list('docs/')).map((e) => e.path()).sort();
    expect(names.filter((n) => n !== 'docs/')).toEqual(['docs/deep/', 'docs/readme.txt']); // OpenDAL may list the directory itself
    const all = (await op.list('', { recursive: true })).map((e) => e.path()).filter((p) => !p.endsWith('/')).sort();
    expect(all).toEqual(['docs/deep/nested/file.bin', 'docs/readme.txt']);
    await op.delete('docs/deep/nested/file.bin');
    // Upstream's delete: the directories left empty go too, up to one that still holds something.
    expect({ deep: await v.fs.exists('/docs/deep'), docs: await v.fs.exists('/docs') }).toEqual({ deep: false, docs: true });
    await expect(op.stat('docs/deep/nested/file.bin')).rejects.toThrow(/NotFound/);
  });

  it('reads files written through the path API', async () => {
    await v.fs.mkdir('/from-fs', { recursive: true });
    await v.fs.writeFile('/from-fs/a.dat', pattern(5000, 9));
    expect(await op.read('from-fs/a.dat')).toEqual(pattern(5000, 9));
    // No ETag was stored for it (written without the gateway): listing and stat still work.
    expect(Number((await op.stat('from-fs/a.dat')).contentLength)).toBe(5000);
  });

  it('a large write goes up as a multipart upload and lands whole, with an "-N" ETag and no leftovers', async () => {
    const data = pattern(12 * 1024 * 1024 + 12345, 5);
    const w = await op.writer('big/blob.bin', { chunk: BigInt(5 * 1024 * 1024) });
    for (let at = 0; at < data.length; at += 1 << 20) await w.write(data.subarray(at, at + (1 << 20)));
    await w.close();
    const st = await v.fs.stat('/big/blob.bin');
    expect(st.size).toBe(data.length);
    expect(md5(await v.fs.readFile('/big/blob.bin'))).toBe(md5(data));
    const etag = (await v.fs.getxattr('/big/blob.bin', 's3-etag')).toString();
    expect(etag).toMatch(/^[0-9a-f]{32}-3$/);
    expect((await op.stat('big/blob.bin')).etag).toBe(`"${etag}"`);
    expect(await sysLeftovers()).toEqual([]);
  });
});

describe('a JuiceFS volume whose bucket is the gateway (our S3 object storage)', () => {
  it('our s3 storage puts, gets, lists and deletes through the gateway', async () => {
    const s = createStorage('s3', `${gw.endpoint}/${BUCKET}`, AK, SK);
    await s.put('inner/obj-1', Buffer.from('one'));
    await s.put('inner/obj-2', pattern(300000, 1));
    expect((await s.get('inner/obj-2')).equals(pattern(300000, 1))).toBe(true);
    expect((await v.fs.readFile('/inner/obj-1')).toString()).toBe('one');
    const listed = (await s.list('inner/')).map((o) => o.key);
    expect(listed.sort()).toEqual(['inner/obj-1', 'inner/obj-2']);
    await s.delete('inner/obj-1');
    await s.delete('inner/obj-2');
    expect(await v.fs.exists('/inner')).toBe(false);
  });

  it('formats and uses a volume stored in the gateway of another volume', async () => {
    const innerMeta = `sqlite3://${dir}/inner.db`;
    const f = await juicefsAsync('format', innerMeta, 'innervol', '--storage', 's3', '--bucket', `${gw.endpoint}/${BUCKET}`, '--access-key', AK, '--secret-key', SK, '--trash-days', '0');
    expect({ code: f.code, err: f.code === 0 ? '' : f.err }).toEqual({ code: 0, err: '' });
    const inner = await openVolumeFs(innerMeta);
    try {
      await inner.fs.writeFile('/hello.txt', pattern(200000, 7));
      await inner.fs.closeAll();
      await inner.vfs.close();
    } finally {
      await inner.close();
    }
    // Its blocks are files of the outer volume, under the inner volume's name.
    const chunks = await v.fs.readdir('/innervol/chunks');
    expect(chunks.length).toBeGreaterThan(0);
    const again = await openVolumeFs(innerMeta);
    try {
      expect((await again.fs.readFile('/hello.txt')).equals(pattern(200000, 7))).toBe(true);
    } finally {
      await again.close();
    }
  });
});

describe('raw requests', () => {
  it('a wrong signature is 403 SignatureDoesNotMatch, an unsigned request 403 AccessDenied, a wrong key InvalidAccessKeyId', async () => {
    const bad = await raw.send({ method: 'GET', path: `/${BUCKET}`, secret: 'not-the-secret' });
    const anon = await raw.send({ method: 'GET', path: `/${BUCKET}`, anonymous: true });
    const wrongKey = await new RawS3(gw.endpoint, 'someone', SK).send({ method: 'GET', path: `/${BUCKET}` });
    expect([bad.status, xmlAll(bad.text, 'Code'), anon.status, xmlAll(anon.text, 'Code'), wrongKey.status, xmlAll(wrongKey.text, 'Code')]).toEqual([
      403, ['SignatureDoesNotMatch'], 403, ['AccessDenied'], 403, ['InvalidAccessKeyId'],
    ]);
    expect(bad.headers.get('content-type')).toBe('application/xml');
    // Nothing was written by refused requests.
    const put = await raw.send({ method: 'PUT', path: `/${BUCKET}/refused.txt`, body: 'x', secret: 'wrong-secret' });
    expect([put.status, await v.fs.exists('/refused.txt')]).toEqual([403, false]);
  });

  it('aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): chunk signatures checked, a corrupted chunk leaves nothing', async () => {
    const data = pattern(200000, 6);
    const ok = await putChunked(raw, `/${BUCKET}/chunked/ok.bin`, data, 65536);
    const bad = await putChunked(raw, `/${BUCKET}/chunked/bad.bin`, data, 65536, 2);
    expect({
      ok: [ok.status, ok.headers.get('etag')], stored: (await v.fs.readFile('/chunked/ok.bin')).equals(data),
      bad: [bad.status, xmlAll(bad.text, 'Code')], badStored: await v.fs.exists('/chunked/bad.bin'), left: await sysLeftovers(),
    }).toEqual({ ok: [200, `"${md5(data)}"`], stored: true, bad: [403, ['SignatureDoesNotMatch']], badStored: false, left: [] });
  });

  it('missing keys and buckets are 404 NoSuchKey / NoSuchBucket; HEAD answers the status without a body', async () => {
    const key = await raw.send({ method: 'GET', path: `/${BUCKET}/no/such/key` });
    const bucket = await raw.send({ method: 'GET', path: '/otherbucket/x' });
    const head = await raw.send({ method: 'HEAD', path: `/${BUCKET}/nothing` });
    expect([key.status, xmlAll(key.text, 'Code'), xmlAll(key.text, 'Resource'), bucket.status, xmlAll(bucket.text, 'Code'), head.status, head.body.length]).toEqual([
      404, ['NoSuchKey'], [`/${BUCKET}/no/such/key`], 404, ['NoSuchBucket'], 404, 0,
    ]);
  });

  it('lists buckets, heads the bucket and answers its location', async () => {
    const list = await raw.send({ method: 'GET', path: '/' });
    const head = await raw.send({ method: 'HEAD', path: `/${BUCKET}` });
    const loc = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { location: '' } });
    expect([list.status, xmlAll(list.text, 'Name'), head.status, loc.status, loc.text.includes('<LocationConstraint')]).toEqual([200, [BUCKET], 200, 200, true]);
  });

  describe('listing', () => {
    beforeAll(async () => {
      for (const k of ['l/a.txt', 'l/dir/x', 'l/dir/y/z', 'l/dir/y/w', 'l/e/f', 'l/b c+d.txt']) {
        const r = await raw.send({ method: 'PUT', path: `/${BUCKET}/${k}`, body: k });
        expect(r.status).toBe(200);
      }
    });

    it('V1 with a delimiter: sorted keys and CommonPrefixes, directories not descended', async () => {
      const top = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { prefix: 'l/', delimiter: '/' } });
      const sub = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { prefix: 'l/dir/', delimiter: '/' } });
      expect({
        keys: xmlAll(top.text, 'Key'), prefixes: xmlAll(top.text, 'Prefix').slice(1),
        subKeys: xmlAll(sub.text, 'Key'), subPrefixes: xmlAll(sub.text, 'Prefix').slice(1),
        sizes: xmlAll(top.text, 'Size'), etag: xmlAll(top.text, 'ETag')[0],
      }).toEqual({
        keys: ['l/a.txt', 'l/b c+d.txt'], prefixes: ['l/dir/', 'l/e/'], subKeys: ['l/dir/x'], subPrefixes: ['l/dir/y/'],
        sizes: ['7', '11'], etag: `&quot;${md5('l/a.txt')}&quot;`,
      });
    });

    it('V1 without a delimiter lists every key below the prefix in order; max-keys and marker page through', async () => {
      const all = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { prefix: 'l/' } });
      const expected = ['l/a.txt', 'l/b c+d.txt', 'l/dir/x', 'l/dir/y/w', 'l/dir/y/z', 'l/e/f'];
      expect(xmlAll(all.text, 'Key')).toEqual(expected);
      const pages: string[][] = [];
      let marker = '';
      for (let i = 0; i < 5; i++) {
        const page = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { prefix: 'l/', 'max-keys': '4', marker } });
        pages.push(xmlAll(page.text, 'Key'));
        if (xmlAll(page.text, 'IsTruncated')[0] !== 'true') break;
        marker = xmlAll(page.text, 'NextMarker')[0] ?? '';
      }
      expect(pages).toEqual([expected.slice(0, 4), expected.slice(4)]);
    });

    it('V2: continuation tokens, start-after, KeyCount, and URL encoding when asked', async () => {
      const first = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { 'list-type': '2', prefix: 'l/', 'max-keys': '3' } });
      const token = xmlAll(first.text, 'NextContinuationToken')[0] ?? '';
      const second = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { 'list-type': '2', prefix: 'l/', 'continuation-token': token } });
      const after = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { 'list-type': '2', prefix: 'l/', 'start-after': 'l/dir/y/w', delimiter: '/' } });
      const encoded = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { 'list-type': '2', prefix: 'l/b', 'encoding-type': 'url' } });
      expect({
        first: [xmlAll(first.text, 'Key'), xmlAll(first.text, 'KeyCount'), xmlAll(first.text, 'IsTruncated')],
        second: xmlAll(second.text, 'Key'),
        after: [xmlAll(after.text, 'Key'), xmlAll(after.text, 'Prefix').slice(1)],
        encoded: xmlAll(encoded.text, 'Key'),
      }).toEqual({
        first: [['l/a.txt', 'l/b c+d.txt', 'l/dir/x'], ['3'], ['true']],
        second: ['l/dir/y/w', 'l/dir/y/z', 'l/e/f'],
        after: [[], ['l/e/']], // a CommonPrefix sorting before start-after is not repeated, even if keys after it fall in it
        encoded: ['l/b%20c%2Bd.txt'],
      });
    });
  });

  it('GET with Range, If-None-Match and If-Modified-Since; presigned URLs, and a tampered one refused', async () => {
    const body = pattern(1000, 2);
    const put = await raw.send({ method: 'PUT', path: `/${BUCKET}/ranges/obj`, body });
    const etag = put.headers.get('etag');
    const range = await raw.send({ method: 'GET', path: `/${BUCKET}/ranges/obj`, headers: { range: 'bytes=100-199' } });
    const tail = await raw.send({ method: 'GET', path: `/${BUCKET}/ranges/obj`, headers: { range: 'bytes=-10' } });
    const bad = await raw.send({ method: 'GET', path: `/${BUCKET}/ranges/obj`, headers: { range: 'bytes=5000-' } });
    const cached = await raw.send({ method: 'GET', path: `/${BUCKET}/ranges/obj`, headers: { 'if-none-match': etag ?? '' } });
    const since = await raw.send({ method: 'GET', path: `/${BUCKET}/ranges/obj`, headers: { 'if-modified-since': new Date(Date.now() + 60000).toUTCString() } });
    expect({
      etag, range: [range.status, range.headers.get('content-range'), range.body.equals(body.subarray(100, 200))],
      tail: [tail.status, tail.body.equals(body.subarray(990))], bad: [bad.status, xmlAll(bad.text, 'Code')], cached: cached.status, since: since.status,
    }).toEqual({
      etag: `"${md5(body)}"`, range: [206, 'bytes 100-199/1000', true], tail: [206, true], bad: [416, ['InvalidRange']], cached: 304, since: 304,
    });
    const url = raw.presign(`/${BUCKET}/ranges/obj`, 60);
    const ok = await fetch(url);
    const tampered = await fetch(url.replace('ranges%2Fobj', 'ranges/other').replace('ranges/obj', 'ranges/other'));
    const expired = await fetch(raw.presign(`/${BUCKET}/ranges/obj`, 60, new Date(Date.now() - 3600_000)));
    expect([ok.status, Buffer.from(await ok.arrayBuffer()).equals(body), tampered.status, expired.status, xmlAll(await expired.text(), 'Message')]).toEqual([
      200, true, 403, 403, ['Request has expired'],
    ]);
  });

  it('object metadata (--object-meta) and tags (--object-tag) are kept as xattrs and answered back', async () => {
    const put = await raw.send({
      method: 'PUT', path: `/${BUCKET}/meta/page`, body: '<p>hi</p>',
      headers: { 'content-type': 'text/html', 'x-amz-meta-colour': 'blue', 'x-amz-tagging': 'project=jfs&tier=hot' },
    });
    const head = await raw.send({ method: 'HEAD', path: `/${BUCKET}/meta/page` });
    const tags = await raw.send({ method: 'GET', path: `/${BUCKET}/meta/page`, query: { tagging: '' } });
    expect({
      put: put.status, type: head.headers.get('content-type'), colour: head.headers.get('x-amz-meta-colour'), count: head.headers.get('x-amz-tagging-count'),
      keys: xmlAll(tags.text, 'Key'), xattr: JSON.parse((await v.fs.getxattr('/meta/page', 's3-meta')).toString()) as unknown,
    }).toEqual({
      put: 200, type: 'text/html', colour: 'blue', count: '2', keys: ['project', 'tier'], xattr: { 'content-type': 'text/html', 'x-amz-meta-colour': 'blue' },
    });
    // Without stored metadata, the type is guessed from the extension.
    await v.fs.writeFile('/meta/plain.json', '{}');
    expect((await raw.send({ method: 'HEAD', path: `/${BUCKET}/meta/plain.json` })).headers.get('content-type')).toBe('application/json');
  });

  it('CopyObject shares the data and keeps metadata; DeleteObjects removes several keys and reports each', async () => {
    await raw.send({ method: 'PUT', path: `/${BUCKET}/copy/src.bin`, body: pattern(3000, 4), headers: { 'x-amz-meta-k': 'v' } });
    const copy = await raw.send({ method: 'PUT', path: `/${BUCKET}/copy/sub/dst.bin`, headers: { 'x-amz-copy-source': `/${BUCKET}/copy/src.bin` } });
    const head = await raw.send({ method: 'HEAD', path: `/${BUCKET}/copy/sub/dst.bin` });
    expect({
      status: copy.status, etag: xmlAll(copy.text, 'ETag'), meta: head.headers.get('x-amz-meta-k'),
      data: (await v.fs.readFile('/copy/sub/dst.bin')).equals(pattern(3000, 4)),
    }).toEqual({ status: 200, etag: [`&quot;${md5(pattern(3000, 4))}&quot;`], meta: 'v', data: true });
    const del = await raw.send({
      method: 'POST', path: `/${BUCKET}`, query: { delete: '' },
      body: '<Delete><Object><Key>copy/src.bin</Key></Object><Object><Key>copy/sub/dst.bin</Key></Object><Object><Key>copy/missing</Key></Object></Delete>',
    });
    expect([del.status, xmlAll(del.text, 'Key'), await v.fs.exists('/copy')]).toEqual([200, ['copy/src.bin', 'copy/sub/dst.bin', 'copy/missing'], false]);
  });

  it('"dir/" objects are directories marked as objects; deleting a key keeps a parent that is one', async () => {
    const mk = await raw.send({ method: 'PUT', path: `/${BUCKET}/folder/` });
    const withData = await raw.send({ method: 'PUT', path: `/${BUCKET}/folder2/`, body: 'x' });
    await raw.send({ method: 'PUT', path: `/${BUCKET}/folder/inside.txt`, body: 'in' });
    const headDir = await raw.send({ method: 'HEAD', path: `/${BUCKET}/folder/` });
    const headNoSlash = await raw.send({ method: 'HEAD', path: `/${BUCKET}/folder` });
    const list = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { prefix: 'folder' } });
    await raw.send({ method: 'DELETE', path: `/${BUCKET}/folder/inside.txt` });
    const kept = await v.fs.exists('/folder');
    await raw.send({ method: 'DELETE', path: `/${BUCKET}/folder/` });
    expect({
      mk: mk.status, withData: [withData.status, xmlAll(withData.text, 'Code')], headDir: headDir.status, headNoSlash: headNoSlash.status,
      keys: xmlAll(list.text, 'Key'), kept, gone: await v.fs.exists('/folder'),
    }).toEqual({
      mk: 200, withData: [409, ['XMinioObjectExistsAsDirectory']], headDir: 200, headNoSlash: 404,
      keys: ['folder/', 'folder/inside.txt'], kept: true, gone: false,
    });
  });

  it('multipart by hand: parts listed, uploads listed, a wrong ETag refused, completion assembles, abort forgets', async () => {
    const key = 'mp/assembled.bin';
    const init = await raw.send({ method: 'POST', path: `/${BUCKET}/${key}`, query: { uploads: '' } });
    const uploadId = xmlAll(init.text, 'UploadId')[0] ?? '';
    const p1 = pattern(6 * 1024 * 1024, 1);
    const p2 = pattern(1000, 2);
    const e1 = (await raw.send({ method: 'PUT', path: `/${BUCKET}/${key}`, query: { partNumber: '1', uploadId }, body: p1 })).headers.get('etag');
    const e2 = (await raw.send({ method: 'PUT', path: `/${BUCKET}/${key}`, query: { partNumber: '2', uploadId }, body: p2 })).headers.get('etag');
    const parts = await raw.send({ method: 'GET', path: `/${BUCKET}/${key}`, query: { uploadId } });
    const uploads = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { uploads: '' } });
    expect({
      dir: await v.fs.exists(`/.sys/uploads/${uploadId.slice(0, 3)}/${uploadId}/1`),
      parts: [xmlAll(parts.text, 'PartNumber'), xmlAll(parts.text, 'Size')], uploads: xmlAll(uploads.text, 'UploadId'),
    }).toEqual({ dir: true, parts: [['1', '2'], [String(p1.length), '1000']], uploads: [uploadId] });
    const doc = (etag2: string) => `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${e1}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>${etag2}</ETag></Part></CompleteMultipartUpload>`;
    const wrong = await raw.send({ method: 'POST', path: `/${BUCKET}/${key}`, query: { uploadId }, body: doc('"00000000000000000000000000000000"') });
    const done = await raw.send({ method: 'POST', path: `/${BUCKET}/${key}`, query: { uploadId }, body: doc(e2 ?? '') });
    const expectedEtag = md5(Buffer.concat([Buffer.from(md5(p1), 'hex'), Buffer.from(md5(p2), 'hex')])) + '-2';
    expect({
      wrong: [wrong.status, xmlAll(wrong.text, 'Code')], done: [done.status, xmlAll(done.text, 'ETag')],
      data: md5(await v.fs.readFile(`/${key}`)) === md5(Buffer.concat([p1, p2])), left: await sysLeftovers(),
    }).toEqual({ wrong: [400, ['InvalidPart']], done: [200, [`&quot;${expectedEtag}&quot;`]], data: true, left: [] });
    const again = await raw.send({ method: 'POST', path: `/${BUCKET}/other`, query: { uploads: '' } });
    const id2 = xmlAll(again.text, 'UploadId')[0] ?? '';
    const abort = await raw.send({ method: 'DELETE', path: `/${BUCKET}/other`, query: { uploadId: id2 } });
    const afterAbort = await raw.send({ method: 'GET', path: `/${BUCKET}/other`, query: { uploadId: id2 } });
    expect([abort.status, afterAbort.status, xmlAll(afterAbort.text, 'Code')]).toEqual([204, 404, ['NoSuchUpload']]);
  });

  it('the gateway\'s own directories are hidden and their keys refused', async () => {
    const list = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { delimiter: '/' } });
    const put = await raw.send({ method: 'PUT', path: `/${BUCKET}/.sys/evil`, body: 'x' });
    const dots = await raw.send({ method: 'PUT', path: `/${BUCKET}/a//b`, body: 'x' });
    expect({
      prefixes: xmlAll(list.text, 'Prefix').filter((p) => p.startsWith('.')), put: put.status,
      dots: [dots.status, xmlAll(dots.text, 'Code')],
    }).toEqual({ prefixes: [], put: 403, dots: [400, ['XMinioInvalidObjectName']] });
  });
});

describe('stale files in .sys', () => {
  const DAY = 24 * 3600 * 1000;
  const uuid = (n: number) => `0a0b0c0d-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const make = async (p: string, ageDays: number, dir = false) => {
    await v.fs.mkdir(dir ? p : path.posix.dirname(p), { recursive: true });
    if (!dir) await v.fs.writeFile(p, 'x');
    const t = new Date(Date.now() - ageDays * DAY);
    await v.fs.utimes(p, t, t);
  };

  it('go once unchanged for a week: temporary files, uploads, emptied fan-out directories; anything else stays, named', async () => {
    const layout = new Layout({ bucket: BUCKET, multiBuckets: false, keepEtag: false, objectTag: false, objectMeta: false, headDir: false, hideDirObject: false, readOnly: false });
    const dirs = stagingDirs(layout, [BUCKET]);
    expect(dirs).toEqual(['/.sys/tmp', '/.sys/uploads']);
    // A real upload, abandoned: made through the gateway, then aged.
    const init = await raw.send({ method: 'POST', path: `/${BUCKET}/abandoned.bin`, query: { uploads: '' } });
    const uploadId = xmlAll(init.text, 'UploadId')[0] ?? '';
    await raw.send({ method: 'PUT', path: `/${BUCKET}/abandoned.bin`, query: { partNumber: '1', uploadId }, body: 'part one' });
    const uploadDir = `/.sys/uploads/${uploadId.slice(0, 3)}/${uploadId}`;
    await make(uploadDir, 8, true);
    const t = (n: number) => `/.sys/tmp/${uuid(n).slice(0, 3)}/${uuid(n)}`;
    await make(t(1), 8); // stale: goes, and its fan-out directory stays (changed just now)
    await make(t(2), 6); // six days: stays
    await make(`/.sys/tmp/${uuid(3)}`, 30); // before the fan-out, as older gateways left them
    await make('/.sys/tmp/old', 30, true); // an emptied fan-out directory, untouched for a month
    await make('/.sys/tmp/notes.txt', 30); // not the gateway's: left alone
    const warnings: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (warnings.push(String(chunk)), true));
    let removed: number;
    try {
      removed = await sweepStaleFiles(v.fs, dirs);
    } finally {
      spy.mockRestore();
    }
    const uploads = await raw.send({ method: 'GET', path: `/${BUCKET}`, query: { uploads: '' } });
    const complete = await raw.send({
      method: 'POST', path: `/${BUCKET}/abandoned.bin`, query: { uploadId },
      body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"${md5('part one')}"</ETag></Part></CompleteMultipartUpload>`,
    });
    const exists = async (p: string) => v.fs.exists(p);
    expect({
      removed,
      gone: await Promise.all([uploadDir, t(1), `/.sys/tmp/${uuid(3)}`, '/.sys/tmp/old'].map(exists)),
      kept: await Promise.all([t(2), path.posix.dirname(t(1)), '/.sys/tmp/notes.txt'].map(exists)),
      named: warnings.some((w) => w.includes('unexpected entry /.sys/tmp/notes.txt')),
      listed: xmlAll(uploads.text, 'UploadId').includes(uploadId),
      complete: [complete.status, xmlAll(complete.text, 'Code')],
    }).toEqual({
      removed: 4,
      gone: [false, false, false, false],
      kept: [true, true, true],
      named: true,
      listed: false,
      complete: [404, ['NoSuchUpload']],
    });
    await v.fs.rm('/.sys/tmp', { recursive: true });
  });

  it('with --multi-buckets each bucket has its own', () => {
    const layout = new Layout({ bucket: '', multiBuckets: true, keepEtag: false, objectTag: false, objectMeta: false, headDir: false, hideDirObject: false, readOnly: false });
    expect(stagingDirs(layout, ['a1b', 'c2d'])).toEqual(['/.sys/a1b/tmp', '/.sys/a1b/uploads', '/.sys/c2d/tmp', '/.sys/c2d/uploads']);
  });
});

describe('the mount\'s virtual files', () => {
  it('are not objects: .config (the volume\'s secrets) and .control are plain keys, missing until written', async () => {
    const got = await Promise.all(['.config', '.stats', '.accesslog', '.control'].map((k) => raw.send({ method: 'GET', path: `/${BUCKET}/${k}` })));
    expect(got.map((r) => [r.status, xmlAll(r.text, 'Code')])).toEqual(Array(4).fill([404, ['NoSuchKey']]));
    const put = await raw.send({ method: 'PUT', path: `/${BUCKET}/.config`, body: 'mine' });
    const back = await raw.send({ method: 'GET', path: `/${BUCKET}/.config` });
    expect([put.status, back.status, back.text, (await v.fs.readFile('/.config')).toString()]).toEqual([200, 200, 'mine', 'mine']);
    await v.fs.unlink('/.config');
  });
});

describe('--multi-buckets, --read-only', () => {
  it('top-level directories are buckets that can be made and removed', async () => {
    const multi = await startGateway(v, { multiBuckets: true });
    try {
      const r = new RawS3(multi.endpoint, AK, SK);
      const mk = await r.send({ method: 'PUT', path: '/newbucket' });
      const put = await r.send({ method: 'PUT', path: '/newbucket/k', body: 'v' });
      const file = (await v.fs.readFile('/newbucket/k')).toString();
      const list = await r.send({ method: 'GET', path: '/' });
      const notEmpty = await r.send({ method: 'DELETE', path: '/newbucket' });
      await r.send({ method: 'DELETE', path: '/newbucket/k' });
      const rm = await r.send({ method: 'DELETE', path: '/newbucket' });
      expect({
        mk: mk.status, put: put.status, file,
        listed: xmlAll(list.text, 'Name').includes('newbucket'), notEmpty: [notEmpty.status, xmlAll(notEmpty.text, 'Code')], rm: rm.status,
        gone: await v.fs.exists('/newbucket'),
      }).toEqual({ mk: 200, put: 200, file: 'v', listed: true, notEmpty: [409, ['BucketNotEmpty']], rm: 204, gone: false });
    } finally {
      await multi.close();
    }
  });

  it('--read-only refuses writes and serves reads', async () => {
    await v.fs.writeFile('/ro.txt', 'read me');
    const ro = await startGateway(v, { readOnly: true });
    try {
      const r = new RawS3(ro.endpoint, AK, SK);
      const get = await r.send({ method: 'GET', path: `/${BUCKET}/ro.txt` });
      const put = await r.send({ method: 'PUT', path: `/${BUCKET}/ro2.txt`, body: 'x' });
      expect([get.text, put.status, xmlAll(put.text, 'Code')]).toEqual(['read me', 403, ['AccessDenied']]);
    } finally {
      await ro.close();
    }
  });
});

const hasBoto3 = (() => {
  try {
    require('node:child_process').execFileSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(hasBoto3 ? it : it.skip)('boto3 (installed here): put, get, list, upload_file in parts, delete', async () => {
  const script = `
import boto3, hashlib, os, sys
from boto3.s3.transfer import TransferConfig
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="${AK}", aws_secret_access_key="${SK}", region_name="us-east-1")
s3.put_object(Bucket="${BUCKET}", Key="boto/a b.txt", Body=b"from boto3")
assert s3.get_object(Bucket="${BUCKET}", Key="boto/a b.txt")["Body"].read() == b"from boto3"
path = os.path.join(sys.argv[2], "big.bin")
data = os.urandom(11 * 1024 * 1024)
open(path, "wb").write(data)
s3.upload_file(path, "${BUCKET}", "boto/big.bin", Config=TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024))
got = s3.get_object(Bucket="${BUCKET}", Key="boto/big.bin")["Body"].read()
assert hashlib.md5(got).hexdigest() == hashlib.md5(data).hexdigest()
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="${BUCKET}", Prefix="boto/")["Contents"]]
print(",".join(keys))
print(s3.head_object(Bucket="${BUCKET}", Key="boto/big.bin")["ETag"])
s3.delete_object(Bucket="${BUCKET}", Key="boto/a b.txt")
try:
    s3.get_object(Bucket="${BUCKET}", Key="boto/a b.txt")
except s3.exceptions.NoSuchKey:
    print("gone")
`;
  const out = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
    const p = spawn('python3', ['-c', script, gw.endpoint, dir]);
    let o = '';
    let e = '';
    p.stdout.on('data', (d: Buffer) => (o += d.toString()));
    p.stderr.on('data', (d: Buffer) => (e += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, out: o, err: e }));
  });
  expect({ code: out.code, err: out.code === 0 ? '' : out.err }).toEqual({ code: 0, err: '' });
  const [keys, etag, gone] = out.out.trim().split('\n');
  expect({ keys, etag: /^"[0-9a-f]{32}-3"$/.test(etag ?? ''), gone }).toEqual({ keys: 'boto/a b.txt,boto/big.bin', etag: true, gone: 'gone' });
  expect((await v.fs.stat('/boto/big.bin')).size).toBe(11 * 1024 * 1024);
}, 60000);
