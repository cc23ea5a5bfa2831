// Run a TypeScript entry of this workspace under plain node, as jest runs the sources
// (scripts/ts-register.cjs). Usage: node bench/run-ts.cjs <file.ts> [args...]
'use strict';
const path = require('node:path');

// The benchmark's "threads" are concurrent async file operations; give libuv enough pool threads
// that 4 of them really run at once (must be set before the first fs call creates the pool).
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || '16';
require('../scripts/ts-register.cjs');

const [file, ...args] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node bench/run-ts.cjs <file.ts> [args...]\n');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(file), ...args];
require(path.resolve(file));
