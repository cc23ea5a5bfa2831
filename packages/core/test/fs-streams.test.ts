import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createReadStream, createWriteStream, JuiceFS } from '../src/index.js';
import { BLOCK, expectBytes, newHarness, pattern } from './vfs-harness.js';

describe('JuiceFS streams', () => {
  it('pipes data in and out, with start/end ranges like Node', async () => {
    const h = await newHarness();
    const fs = new JuiceFS(h.vfs, h.ctx);
    const data = pattern(5 * BLOCK + 321, 5);
    const pieces = [data.subarray(0, 1000), data.subarray(1000, 9000), data.subarray(9000)];
    await pipeline(Readable.from(pieces), createWriteStream(fs, '/streamed'));
    expectBytes(await fs.readFile('/streamed'), data);

    const collect = async (r: Readable) => {
      const out: Buffer[] = [];
      for await (const c of r) out.push(c as Buffer);
      return Buffer.concat(out);
    };
    expectBytes(await collect(createReadStream(fs, '/streamed', { highWaterMark: 777 })), data);
    expectBytes(await collect(createReadStream(fs, '/streamed', { start: 10, end: 4999 })), data.subarray(10, 5000));
    await pipeline(Readable.from([]), createWriteStream(fs, '/empty'));
    expect((await fs.stat('/empty')).size).toBe(0);
    await expect(collect(createReadStream(fs, '/missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
