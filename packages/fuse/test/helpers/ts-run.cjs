// Run a TypeScript file of this workspace in a child process, the way jest runs tests: SWC
// transpiles each .ts file to CommonJS on require, `./x.js` imports resolve to `./x.ts`, and
// `@juicefs/<pkg>` resolves to that package's src/index.ts.
// Usage: node ts-run.cjs <file.ts> [args...]
'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const repoRoot = path.resolve(__dirname, '../../../..');
const origResolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const pkg = /^@juicefs\/([a-z]+)(?:\/(.+))?$/.exec(request);
  if (pkg) {
    const sub = pkg[2] ? `${pkg[2]}/index.ts` : 'index.ts';
    return path.join(repoRoot, 'packages', pkg[1], 'src', sub);
  }
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
process.argv = [process.argv[0], path.resolve(file), ...args];
require(path.resolve(file));
