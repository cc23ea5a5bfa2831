// Run a TypeScript entry of this workspace under plain node, as jest runs the sources: SWC
// transpiles each .ts file to CommonJS when it is required, `./x.js` imports resolve to `./x.ts`,
// and `@juicefs/<pkg>` resolves to packages/<pkg>/src/index.ts. No build step is needed.
// Usage: node bench/run-ts.cjs <file.ts> [args...]
'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');

// The benchmark's "threads" are concurrent async file operations; give libuv enough pool threads
// that 4 of them really run at once (must be set before the first fs call creates the pool).
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || '16';

const repoRoot = path.resolve(__dirname, '..');
const swc = require(require.resolve('@swc/core', { paths: [repoRoot] }));
const origResolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const ws = /^@juicefs\/([a-z]+)(?:\/(.+))?$/.exec(request);
  if (ws) return path.join(repoRoot, 'packages', ws[1], 'src', ws[2] ? `${ws[2]}/index.ts` : 'index.ts');
  if (request.startsWith('.') && request.endsWith('.js') && parent && parent.filename) {
    const ts = path.resolve(path.dirname(parent.filename), request.slice(0, -3) + '.ts');
    if (fs.existsSync(ts)) return ts;
  }
  return origResolve.call(this, request, parent, ...rest);
};
Module._extensions['.ts'] = function (module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const [file, ...args] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node bench/run-ts.cjs <file.ts> [args...]\n');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(file), ...args];
require(path.resolve(file));
