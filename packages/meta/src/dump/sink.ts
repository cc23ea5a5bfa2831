/**
 * Buffered text output with backpressure: a dump of millions of nodes is written as it is read,
 * in 64 KiB pieces, waiting for the stream to drain instead of growing one giant string.
 */
export class TextSink {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly out: NodeJS.WritableStream, private readonly flushAt = 64 * 1024) {}

  async write(s: string): Promise<void> {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= this.flushAt) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    const out = this.out;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      out.once('error', onError);
      const ok = out.write(chunk, (err) => {
        if (err) reject(err);
      });
      const done = () => {
        out.removeListener('error', onError);
        resolve();
      };
      if (ok) done();
      else out.once('drain', done);
    });
  }
}
