import cliProgress from 'cli-progress';
import { logs } from './log.js';

/**
 * A progress bar on stderr for long work (dump, load), shown only on a terminal so logs and CI
 * output stay clean, and not under `-q` (JuiceFS hides its bars there too). `update` is cheap to
 * call per item.
 */
export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

export function progressBar(title: string, total: number, quiet = false): Progress {
  if (quiet || !logs('info') || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${title} [{bar}] {value}/{total}`, stream: process.stderr, hideCursor: true, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done, t) => {
      if (t !== undefined && t !== bar.getTotal()) bar.setTotal(t);
      else if (done > bar.getTotal()) bar.setTotal(done);
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}
