// The WebDAV server driven with raw HTTP requests (fetch), on a real SQLite + local-directory
// volume: status codes, headers and multistatus bodies, and what lands in the volume, read back
// through a second, independent opening of it.
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { context, JuiceFS } from '@juicefs/core';
import { pattern } from './tools-volume.js';
import { dav, davVolume, responses } from './support/webdav-volume.js';
import { DEAD_PROPS_XATTR } from '../src/webdav/deadprops.js';
import { errnoStatus } from '../src/webdav/status.js';
import { startDavServer } from '../src/webdav/server.js';
import { parseListenAddress } from '../src/volume-service.js';
import { openVolumeFs } from '../src/volume-fs.js';
import { juicefs } from './tools-volume.js';
import type { DavServer } from '../src/webdav/server.js';

const v = davVolume('jfs-webdav-http-');
let s: DavServer;
let base: string;

beforeAll(async () => {
  s = await v.serve();
  base = s.url;
});

describe('files', () => {
  test('OPTIONS announces DAV 1 and 2', async () => {
    const r = await dav(`${base}/`, 'OPTIONS');
    expect(r.status).toBe(200);
    expect(r.headers.get('dav')).toBe('1, 2');
    expect(r.headers.get('allow')).toContain('PROPFIND');
  });

  test('PUT creates (201) then replaces (204); GET returns the bytes with ETag, Last-Modified and a type by extension', async () => {
    const data = pattern(300_000, 1);
    expect((await dav(`${base}/put.json`, 'PUT', {}, data)).status).toBe(201);
    expect(Buffer.compare(await v.other.fs.readFile('/put.json'), data)).toBe(0);
    const data2 = pattern(1000, 2);
    expect((await dav(`${base}/put.json`, 'PUT', {}, data2)).status).toBe(204);
    const r = await fetch(`${base}/put.json`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('content-length')).toBe('1000');
    expect(r.headers.get('etag')).toMatch(/^"[0-9a-f]+"$/);
    expect(new Date(r.headers.get('last-modified')!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(Buffer.compare(Buffer.from(await r.arrayBuffer()), data2)).toBe(0);
    const again = await dav(`${base}/put.json`, 'GET', { 'if-none-match': r.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect((await dav(`${base}/put.json`, 'GET', { 'if-match': '"nope"' })).status).toBe(412);
  });

  test('files written through the path API are served', async () => {
    const data = pattern(5000, 3);
    await v.other.fs.writeFile('/from-api.bin', data);
    const r = await fetch(`${base}/from-api.bin`);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.compare(Buffer.from(await r.arrayBuffer()), data)).toBe(0);
  });

  test('PUT without a parent collection is 409; onto a collection 405', async () => {
    expect((await dav(`${base}/no/such/dir/f`, 'PUT', {}, 'x')).status).toBe(409);
    await v.other.fs.mkdir('/acoll');
    expect((await dav(`${base}/acoll`, 'PUT', {}, 'x')).status).toBe(405);
  });

  test('Range: one range is 206 with Content-Range, a suffix range too, past the end 416; HEAD has no body', async () => {
    const data = pattern(10_000, 4);
    await dav(`${base}/range.bin`, 'PUT', {}, data);
    const r = await fetch(`${base}/range.bin`, { headers: { range: 'bytes=100-199' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(Buffer.compare(Buffer.from(await r.arrayBuffer()), data.subarray(100, 200))).toBe(0);
    const tail = await fetch(`${base}/range.bin`, { headers: { range: 'bytes=-10' } });
    expect(tail.status).toBe(206);
    expect(Buffer.compare(Buffer.from(await tail.arrayBuffer()), data.subarray(9990))).toBe(0);
    const open = await fetch(`${base}/range.bin`, { headers: { range: 'bytes=9995-' } });
    expect(Buffer.from(await open.arrayBuffer()).length).toBe(5);
    const past = await dav(`${base}/range.bin`, 'GET', { range: 'bytes=20000-' });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */10000');
    // If-Range with another ETag: the whole file.
    const stale = await fetch(`${base}/range.bin`, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(10_000);
    const head = await dav(`${base}/range.bin`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10000');
    expect(head.text).toBe('');
  });

  test('names with spaces and non-ASCII letters round-trip; a "/" inside a segment is 400', async () => {
    expect((await dav(`${base}/hello%20w%C3%B6rld.txt`, 'PUT', {}, 'hi')).status).toBe(201);
    expect((await v.other.fs.readFile('/hello wörld.txt')).toString()).toBe('hi');
    const list = await dav(`${base}/`, 'PROPFIND', { depth: '1' });
    expect(responses(list.text).has('/hello%20w%C3%B6rld.txt')).toBe(true);
    expect((await dav(`${base}/a%2Fb`, 'GET')).status).toBe(400);
  });
});

describe('collections', () => {
  test('MKCOL: 201, existing 405, no parent 409, with a body 415', async () => {
    expect((await dav(`${base}/mk`, 'MKCOL')).status).toBe(201);
    expect((await v.other.fs.stat('/mk')).isDirectory()).toBe(true);
    expect((await dav(`${base}/mk`, 'MKCOL')).status).toBe(405);
    expect((await dav(`${base}/nope/mk`, 'MKCOL')).status).toBe(409);
    expect((await dav(`${base}/mk2`, 'MKCOL', { 'content-type': 'text/xml' }, '<x/>')).status).toBe(415);
  });

  test('DELETE removes a file, and a collection with all it holds; a missing one is 404', async () => {
    await v.other.fs.mkdir('/deltree/a/b', { recursive: true });
    for (let i = 0; i < 20; i++) await v.other.fs.writeFile(`/deltree/a/b/f${i}`, `x${i}`);
    await v.other.fs.writeFile('/deltree/top', 'top');
    expect((await dav(`${base}/deltree/top`, 'DELETE')).status).toBe(204);
    expect(await v.other.fs.exists('/deltree/top')).toBe(false);
    expect((await dav(`${base}/deltree`, 'DELETE')).status).toBe(204);
    expect(await v.other.fs.exists('/deltree')).toBe(false);
    expect((await dav(`${base}/deltree`, 'DELETE')).status).toBe(404);
    expect((await dav(`${base}/`, 'DELETE')).status).toBe(403);
  });

  test('GET on a collection lists it as PROPFIND Depth 1 does, as JuiceFS answers; HEAD on one is 405', async () => {
    await v.other.fs.mkdir('/listme');
    await v.other.fs.writeFile('/listme/one', '1');
    const r = await dav(`${base}/listme/`, 'GET');
    expect(r.status).toBe(207);
    expect([...responses(r.text).keys()].sort()).toEqual(['/listme/', '/listme/one']);
    expect((await dav(`${base}/listme/`, 'HEAD')).status).toBe(405);
  });
});

describe('PROPFIND', () => {
  beforeAll(async () => {
    await v.other.fs.mkdir('/pf/sub', { recursive: true });
    await v.other.fs.writeFile('/pf/a.txt', 'abc');
    await v.other.fs.writeFile('/pf/sub/deep.txt', 'deeper');
  });

  test('Depth 0 on a file: the live properties, 207', async () => {
    const r = await dav(`${base}/pf/a.txt`, 'PROPFIND', { depth: '0' });
    expect(r.status).toBe(207);
    expect(r.headers.get('content-type')).toContain('xml');
    const one = responses(r.text).get('/pf/a.txt')!;
    expect(one).toContain('<D:getcontentlength>3</D:getcontentlength>');
    expect(one).toContain('<D:resourcetype/>');
    expect(one).toContain('<D:displayname>a.txt</D:displayname>');
    expect(one).toContain('<D:getcontenttype>text/plain; charset=utf-8</D:getcontenttype>');
    expect(one).toMatch(/<D:getetag>&quot;[0-9a-f]+&quot;<\/D:getetag>/);
    expect(one).toMatch(/<D:creationdate>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/D:creationdate>/);
    expect(one).toContain('HTTP/1.1 200 OK');
  });

  test('Depth 1 on a collection: it and its entries, collections with a trailing slash', async () => {
    const r = await dav(`${base}/pf`, 'PROPFIND', { depth: '1' });
    expect(r.status).toBe(207);
    const all = responses(r.text);
    expect([...all.keys()].sort()).toEqual(['/pf/', '/pf/a.txt', '/pf/sub/']);
    expect(all.get('/pf/sub/')).toContain('<D:collection/>');
  });

  test('Depth infinity walks the tree; no Depth header means infinity', async () => {
    const r = await dav(`${base}/pf`, 'PROPFIND', {});
    expect([...responses(r.text).keys()].sort()).toEqual(['/pf/', '/pf/a.txt', '/pf/sub/', '/pf/sub/deep.txt']);
  });

  test('prop: asked-for properties under 200, unknown ones under 404', async () => {
    const body = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop><D:getcontentlength/><Z:color/></D:prop></D:propfind>';
    const r = await dav(`${base}/pf/a.txt`, 'PROPFIND', { depth: '0', 'content-type': 'application/xml' }, body);
    expect(r.status).toBe(207);
    expect(r.text).toMatch(/<D:prop><D:getcontentlength>3<\/D:getcontentlength><\/D:prop><D:status>HTTP\/1.1 200 OK/);
    expect(r.text).toMatch(/<D:prop><X:color xmlns:X="urn:z"\/><\/D:prop><D:status>HTTP\/1.1 404 Not Found/);
    expect(r.text).not.toContain('getetag');
  });

  test('propname: names without values', async () => {
    const r = await dav(`${base}/pf/a.txt`, 'PROPFIND', { depth: '0' }, '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>');
    expect(r.text).toContain('<D:getcontentlength/>');
    expect(r.text).not.toContain('<D:getcontentlength>3');
  });

  test('a missing path is 404, a malformed body 400, a bad Depth 400', async () => {
    expect((await dav(`${base}/pf/none`, 'PROPFIND', { depth: '0' })).status).toBe(404);
    expect((await dav(`${base}/pf`, 'PROPFIND', { depth: '0' }, '<D:propfind xmlns:D="DAV:"><D:prop>')).status).toBe(400);
    expect((await dav(`${base}/pf`, 'PROPFIND', { depth: '0' }, '<D:propfind xmlns:D="DAV:" xmlns:e=""><D:allprop/></D:propfind>')).status).toBe(400);
    expect((await dav(`${base}/pf`, 'PROPFIND', { depth: '2' })).status).toBe(400);
  });
});

describe('COPY and MOVE', () => {
  const dest = (p: string) => ({ destination: `${base}${p}` });

  test('COPY a file: 201, the same bytes, the source kept', async () => {
    await v.other.fs.writeFile('/c-src.txt', 'copy me');
    expect((await dav(`${base}/c-src.txt`, 'COPY', dest('/c-dst.txt'))).status).toBe(201);
    expect((await v.other.fs.readFile('/c-dst.txt')).toString()).toBe('copy me');
    expect(await v.other.fs.exists('/c-src.txt')).toBe(true);
  });

  test('Overwrite: F on an existing destination is 412 and changes nothing; T (the default) replaces it, 204', async () => {
    await v.other.fs.writeFile('/o-src.txt', 'new');
    await v.other.fs.writeFile('/o-dst.txt', 'old');
    expect((await dav(`${base}/o-src.txt`, 'COPY', { ...dest('/o-dst.txt'), overwrite: 'F' })).status).toBe(412);
    expect((await v.other.fs.readFile('/o-dst.txt')).toString()).toBe('old');
    expect((await dav(`${base}/o-src.txt`, 'COPY', { ...dest('/o-dst.txt'), overwrite: 'T' })).status).toBe(204);
    expect((await v.other.fs.readFile('/o-dst.txt')).toString()).toBe('new');
    await v.other.fs.writeFile('/o-dst2.txt', 'old');
    expect((await dav(`${base}/o-src.txt`, 'MOVE', { ...dest('/o-dst2.txt'), overwrite: 'F' })).status).toBe(412);
    expect(await v.other.fs.exists('/o-src.txt')).toBe(true);
    expect((await dav(`${base}/o-src.txt`, 'MOVE', dest('/o-dst2.txt'))).status).toBe(204);
    expect(await v.other.fs.exists('/o-src.txt')).toBe(false);
    expect((await v.other.fs.readFile('/o-dst2.txt')).toString()).toBe('new');
  });

  test('COPY a collection: Depth infinity copies the tree, Depth 0 the collection alone, Depth 1 is 400', async () => {
    await v.other.fs.mkdir('/ctree/in', { recursive: true });
    await v.other.fs.writeFile('/ctree/in/f', 'leaf');
    expect((await dav(`${base}/ctree`, 'COPY', dest('/ctree-all'))).status).toBe(201);
    expect((await v.other.fs.readFile('/ctree-all/in/f')).toString()).toBe('leaf');
    expect((await dav(`${base}/ctree`, 'COPY', { ...dest('/ctree-0'), depth: '0' })).status).toBe(201);
    expect(await v.other.fs.readdir('/ctree-0')).toEqual([]);
    expect((await dav(`${base}/ctree`, 'COPY', { ...dest('/ctree-1'), depth: '1' })).status).toBe(400);
  });

  test('MOVE a collection onto an existing one replaces it', async () => {
    await v.other.fs.mkdir('/m-a/x', { recursive: true });
    await v.other.fs.writeFile('/m-a/x/f', 'from a');
    await v.other.fs.mkdir('/m-b/y', { recursive: true });
    expect((await dav(`${base}/m-a/`, 'MOVE', dest('/m-b/'))).status).toBe(204);
    expect(await v.other.fs.exists('/m-a')).toBe(false);
    expect(await v.other.fs.readdir('/m-b')).toEqual(['x']);
    expect((await v.other.fs.readFile('/m-b/x/f')).toString()).toBe('from a');
  });

  test('errors: no parent 409, onto itself 403, into itself 403, another host 502, no Destination 400, missing source 404', async () => {
    await v.other.fs.mkdir('/e-dir');
    await v.other.fs.writeFile('/e-file', 'e');
    expect((await dav(`${base}/e-file`, 'MOVE', dest('/nowhere/e-file'))).status).toBe(409);
    expect((await dav(`${base}/e-file`, 'COPY', dest('/e-file'))).status).toBe(403);
    expect((await dav(`${base}/e-dir`, 'MOVE', dest('/e-dir/inner'))).status).toBe(403);
    expect((await dav(`${base}/e-file`, 'COPY', { destination: 'http://elsewhere.example/e2' })).status).toBe(502);
    expect((await dav(`${base}/e-file`, 'COPY')).status).toBe(400);
    expect((await dav(`${base}/missing`, 'MOVE', dest('/m2'))).status).toBe(404);
    expect((await dav(`${base}/e-file`, 'MOVE', { ...dest('/e2'), depth: '0' })).status).toBe(400);
    expect(await v.other.fs.exists('/e-file')).toBe(true);
  });
});

describe('LOCK and UNLOCK', () => {
  const lockBody = '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>me</D:href></D:owner></D:lockinfo>';

  test('a locked file refuses writes without its token (423) and takes them with it; UNLOCK frees it', async () => {
    await v.other.fs.writeFile('/locked.txt', 'v1');
    const l = await dav(`${base}/locked.txt`, 'LOCK', { timeout: 'Second-60' }, lockBody);
    expect(l.status).toBe(200);
    const token = /^<(.+)>$/.exec(l.headers.get('lock-token') ?? '')?.[1];
    expect(token).toMatch(/^urn:uuid:/);
    expect(l.text).toContain('<D:timeout>Second-60</D:timeout>');
    expect(l.text).toContain('<D:owner><D:href>me</D:href></D:owner>');
    expect((await dav(`${base}/locked.txt`, 'PUT', {}, 'v2')).status).toBe(423);
    expect((await dav(`${base}/locked.txt`, 'DELETE')).status).toBe(423);
    expect((await dav(`${base}/locked.txt`, 'LOCK', {}, lockBody)).status).toBe(423);
    expect((await dav(`${base}/locked.txt`, 'PUT', { if: `(<${token}>)` }, 'v2')).status).toBe(204);
    // A refresh: no body, the token in If.
    const refreshed = await dav(`${base}/locked.txt`, 'LOCK', { if: `(<${token}>)`, timeout: 'Second-120' });
    expect(refreshed.status).toBe(200);
    expect(refreshed.text).toContain('Second-120');
    const pf = await dav(`${base}/locked.txt`, 'PROPFIND', { depth: '0' }, '<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>');
    expect(pf.text).toContain(token!);
    expect((await dav(`${base}/locked.txt`, 'UNLOCK', { 'lock-token': '<urn:uuid:not-this-one>' })).status).toBe(409);
    expect((await dav(`${base}/locked.txt`, 'UNLOCK', { 'lock-token': `<${token}>` })).status).toBe(204);
    expect((await dav(`${base}/locked.txt`, 'PUT', {}, 'v3')).status).toBe(204);
    expect((await v.other.fs.readFile('/locked.txt')).toString()).toBe('v3');
  });

  test('LOCK on a missing name makes an empty file (201); a depth-infinity lock on a collection covers what is inside', async () => {
    const l = await dav(`${base}/lock-new.txt`, 'LOCK', {}, lockBody);
    expect(l.status).toBe(201);
    expect((await v.other.fs.stat('/lock-new.txt')).size).toBe(0);
    await v.other.fs.mkdir('/lockdir');
    const d = await dav(`${base}/lockdir`, 'LOCK', { depth: 'infinity' }, lockBody);
    expect(d.status).toBe(200);
    expect((await dav(`${base}/lockdir/inner.txt`, 'PUT', {}, 'x')).status).toBe(423);
    const token = /^<(.+)>$/.exec(d.headers.get('lock-token') ?? '')?.[1];
    expect((await dav(`${base}/lockdir/inner.txt`, 'PUT', { if: `<${base}/lockdir> (<${token}>)` }, 'x')).status).toBe(201);
    expect((await dav(`${base}/lockdir`, 'MOVE', { destination: `${base}/lockdir2` })).status).toBe(423);
    expect((await dav(`${base}/x.txt`, 'LOCK', {}, lockBody.replace('<D:exclusive/>', '<D:shared/>'))).status).toBe(501);
  });
});

describe('PROPPATCH', () => {
  const patch = '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:color>blue</Z:color><Z:size>9</Z:size></D:prop></D:set><D:remove><D:prop><Z:size/></D:prop></D:remove></D:propertyupdate>';

  test('without --enable-proppatch it is 501, as in JuiceFS', async () => {
    await v.other.fs.writeFile('/pp.txt', 'p');
    const r = await dav(`${base}/pp.txt`, 'PROPPATCH', {}, patch);
    expect(r.status).toBe(501);
    expect(r.text).toContain('--enable-proppatch');
  });

  test('with it: dead properties set and removed in order, kept in the xattr JuiceFS uses, shown by PROPFIND', async () => {
    const pp = await v.serve({ enableProppatch: true });
    await v.other.fs.writeFile('/pp2.txt', 'p');
    const r = await dav(`${pp.url}/pp2.txt`, 'PROPPATCH', {}, patch);
    expect(r.status).toBe(207);
    expect(r.text).toContain('HTTP/1.1 200 OK');
    const stored = JSON.parse((await v.other.fs.getxattr('/pp2.txt', DEAD_PROPS_XATTR)).toString()) as Array<{ name: { Space: string; Local: string }; property: { InnerXML: string } }>;
    expect(stored).toEqual([{ name: { Space: 'urn:z', Local: 'color' }, property: { XMLName: { Space: 'urn:z', Local: 'color' }, Lang: '', InnerXML: Buffer.from('blue').toString('base64') } }]);
    const pf = await dav(`${pp.url}/pp2.txt`, 'PROPFIND', { depth: '0' });
    expect(pf.text).toContain('<X:color xmlns:X="urn:z">blue</X:color>');
    expect(pf.text).not.toContain('size');
    const asked = await dav(`${pp.url}/pp2.txt`, 'PROPFIND', { depth: '0' }, '<D:propfind xmlns:D="DAV:"><D:prop><color xmlns="urn:z"/></D:prop></D:propfind>');
    expect(asked.text).toMatch(/<X:color xmlns:X="urn:z">blue<\/X:color><\/D:prop><D:status>HTTP\/1.1 200 OK/);
    // Live properties are protected: 403 for them, 424 for the rest, nothing changed.
    const live = await dav(`${pp.url}/pp2.txt`, 'PROPPATCH', {}, '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><D:getetag>x</D:getetag><Z:other>1</Z:other></D:prop></D:set></D:propertyupdate>');
    expect(live.status).toBe(207);
    expect(live.text).toContain('HTTP/1.1 403 Forbidden');
    expect(live.text).toContain('HTTP/1.1 424 Failed Dependency');
    expect((await v.other.fs.getxattr('/pp2.txt', DEAD_PROPS_XATTR)).toString()).not.toContain('other');
  });
});

describe('server settings', () => {
  test('Basic auth: none 401 with a challenge, wrong 401, right 2xx', async () => {
    const a = await v.serve({ username: 'alice', password: 's3cret' });
    const none = await dav(`${a.url}/`, 'PROPFIND', { depth: '0' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="Restricted"');
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`, depth: '0' });
    expect((await dav(`${a.url}/`, 'PROPFIND', basic('alice', 'wrong'))).status).toBe(401);
    expect((await dav(`${a.url}/`, 'PROPFIND', basic('bob', 's3cret'))).status).toBe(401);
    expect((await dav(`${a.url}/authed.txt`, 'PUT', basic('alice', 'wrong'), 'x')).status).toBe(401);
    expect(await v.other.fs.exists('/authed.txt')).toBe(false);
    expect((await dav(`${a.url}/`, 'PROPFIND', basic('alice', 's3cret'))).status).toBe(207);
  });

  test('--gzip compresses for clients that accept it, and only for them', async () => {
    const g = await v.serve({ gzip: true });
    const text = 'compressible '.repeat(5000);
    await v.other.fs.writeFile('/gz.txt', text);
    const zipped = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      // fetch would decompress on its own; a raw request shows what was sent.
      import('node:http').then(({ get }) =>
        get(`${g.url}/gz.txt`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ enc: res.headers['content-encoding'], body: Buffer.concat(parts) }));
        }).on('error', reject),
      );
    });
    expect(zipped.enc).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(text.length / 10);
    expect(gunzipSync(zipped.body).toString()).toBe(text);
    const plain = await fetch(`${g.url}/gz.txt`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(text);
  });

  test('--disallowList: GET on a collection is 403, PROPFIND still lists (as in JuiceFS)', async () => {
    const d = await v.serve({ disallowList: true });
    expect((await dav(`${d.url}/`, 'GET')).status).toBe(403);
    expect((await dav(`${d.url}/`, 'PROPFIND', { depth: '1' })).status).toBe(207);
    await v.other.fs.writeFile('/dl.txt', 'file');
    expect((await dav(`${d.url}/dl.txt`, 'GET')).text).toBe('file');
  });

  test('--subdir: the directory is the root, nothing above it can be named', async () => {
    await v.other.fs.mkdir('/served/inside', { recursive: true });
    await v.other.fs.writeFile('/outside.txt', 'secret');
    const sub = await v.serve({ root: '/served' });
    expect((await dav(`${sub.url}/new.txt`, 'PUT', {}, 'in subdir')).status).toBe(201);
    expect((await v.other.fs.readFile('/served/new.txt')).toString()).toBe('in subdir');
    expect((await dav(`${sub.url}/../outside.txt`, 'GET')).status).toBe(404);
    expect((await dav(`${sub.url}/%2e%2e/outside.txt`, 'GET')).status).toBe(404);
    expect([...responses((await dav(`${sub.url}/`, 'PROPFIND', { depth: '1' })).text).keys()].sort()).toEqual(['/', '/inside/', '/new.txt']);
  });

  test('permissions: a request the volume refuses (EACCES) is 403', async () => {
    await v.other.fs.mkdir('/rootonly', { mode: 0o755 });
    const { startDavServer: start } = await import('../src/webdav/server.js');
    const userFs = new JuiceFS(v.vol.vfs, context(1000, 1000));
    const u = await start({ address: '127.0.0.1:0', fs: userFs, root: '/', gzip: false, disallowList: false, enableProppatch: false, threads: 1 }, { debug: () => undefined, warn: () => undefined });
    try {
      expect((await dav(`${u.url}/rootonly/f`, 'PUT', {}, 'x')).status).toBe(403);
      expect((await dav(`${u.url}/rootonly/d`, 'MKCOL')).status).toBe(403);
    } finally {
      await u.close(0);
    }
  });

  test('quota: a write past a directory quota is 507 (EDQUOT)', async () => {
    const q = juicefs('quota', 'set', v.meta, '--path', '/quota', '--inodes', '1', '--create');
    expect(q.code).toBe(0);
    const vol = await openVolumeFs(v.meta);
    const qs = await startDavServer({ address: '127.0.0.1:0', fs: vol.fs, root: '/', gzip: false, disallowList: false, enableProppatch: false, threads: 1 }, { debug: () => undefined, warn: () => undefined });
    try {
      expect((await dav(`${qs.url}/quota/one`, 'PUT', {}, 'x')).status).toBe(201);
      expect((await dav(`${qs.url}/quota/two`, 'PUT', {}, 'x')).status).toBe(507);
    } finally {
      await qs.close(0);
      await vol.close();
    }
  });

  test("the volume's internal files (.config holds the secrets, .control takes commands) and the trash are out of reach", async () => {
    for (const name of ['.config', '.stats', '.accesslog', '.control', '.jfs.config']) expect((await dav(`${base}/${name}`, 'GET')).status).toBe(404);
    expect((await dav(`${base}/.control`, 'PUT', {}, 'x')).status).toBe(404);
    expect((await dav(`${base}/.trash/`, 'PROPFIND', { depth: '1' })).status).toBe(404);
    await v.other.fs.writeFile('/plain.txt', 'p');
    expect((await dav(`${base}/plain.txt`, 'COPY', { destination: `${base}/.config` })).status).toBe(403);
    const root = [...responses((await dav(`${base}/`, 'PROPFIND', { depth: '1' })).text).keys()];
    expect(root.filter((h) => /^\/\.(config|stats|accesslog|control|trash)/.test(h))).toEqual([]);
    expect(root).toContain('/plain.txt');
  });

  test('errno to status', () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    expect([e('ENOENT'), e('EACCES'), e('EPERM'), e('EEXIST'), e('ENOTEMPTY'), e('ENOSPC'), e('EDQUOT'), e('EROFS'), e('EIO')].map(errnoStatus)).toEqual([404, 403, 403, 405, 409, 507, 507, 403, 500]);
  });

  test('listen addresses: HOST:PORT, :PORT and [v6]:PORT; anything else is refused by name', () => {
    expect(parseListenAddress('localhost:9007')).toEqual({ host: 'localhost', port: 9007 });
    expect(parseListenAddress(':9007')).toEqual({ host: undefined, port: 9007 });
    expect(parseListenAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseListenAddress('localhost')).toThrow(/"localhost" is not an address to listen on/);
    expect(() => parseListenAddress('h:70000')).toThrow(/not an address/);
  });
});

describe('curl', () => {
  const haveCurl = (() => {
    try {
      execFileSync('which', ['curl']);
      return true;
    } catch {
      return false;
    }
  })();
  const curl = async (...args: string[]): Promise<string> => {
    // Not execFileSync: the server answers from this very process.
    const { execFile } = await import('node:child_process');
    return new Promise((resolve, reject) => execFile('curl', ['-sS', ...args], { encoding: 'buffer' }, (err, out) => (err ? reject(err) : resolve(out.toString('latin1')))));
  };

  (haveCurl ? test : test.skip)('upload, list, range, move and delete with curl (with Basic auth)', async () => {
    const a = await v.serve({ username: 'carol', password: 'pw' });
    const tmp = `${v.dir}/curl-upload.bin`;
    const data = pattern(200_000, 9);
    (await import('node:fs')).writeFileSync(tmp, data);
    const u = ['-u', 'carol:pw'];
    expect(await curl(...u, '-o', '/dev/null', '-w', '%{http_code}', '-X', 'MKCOL', `${a.url}/curl`)).toBe('201');
    expect(await curl(...u, '-o', '/dev/null', '-w', '%{http_code}', '-T', tmp, `${a.url}/curl/up.bin`)).toBe('201');
    expect(Buffer.compare(await v.other.fs.readFile('/curl/up.bin'), data)).toBe(0);
    expect(Buffer.from(await curl(...u, '-r', '1000-1999', `${a.url}/curl/up.bin`), 'latin1').equals(data.subarray(1000, 2000))).toBe(true);
    const list = await curl(...u, '-X', 'PROPFIND', '-H', 'Depth: 1', `${a.url}/curl/`);
    expect(list).toContain('<D:href>/curl/up.bin</D:href>');
    expect(await curl(...u, '-o', '/dev/null', '-w', '%{http_code}', '-X', 'MOVE', '-H', `Destination: ${a.url}/curl/moved.bin`, `${a.url}/curl/up.bin`)).toBe('201');
    expect(await v.other.fs.exists('/curl/up.bin')).toBe(false);
    expect((await v.other.fs.stat('/curl/moved.bin')).size).toBe(data.length);
    expect(await curl('-o', '/dev/null', '-w', '%{http_code}', `${a.url}/curl/moved.bin`)).toBe('401');
    expect(await curl(...u, '-o', '/dev/null', '-w', '%{http_code}', '-X', 'DELETE', `${a.url}/curl`)).toBe('204');
    expect(await v.other.fs.exists('/curl')).toBe(false);
  });
  if (!haveCurl) console.warn('curl is not installed: the curl case of webdav-http.test.ts is skipped');
});
