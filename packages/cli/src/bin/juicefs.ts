#!/usr/bin/env -S node --initial-heap-size=256
// The node flags above are part of the command (scripts/juicefs and the FUSE bench read them from
// this line). --initial-heap-size: with V8's default small starting heap, a mount streaming 4 MiB
// blocks ran a full garbage collection every ~100 ms, 40% of a 1 GiB read in the bench profile;
// starting at 256 MiB, those collections wait until the heap has actually grown. Short commands
// cost nothing more (the heap is reserved, not committed).
import { run } from '../main.js';

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`juicefs: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
