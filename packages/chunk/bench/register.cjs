// Runs the TypeScript sources directly, as jest does: SWC turns each .ts file into CommonJS on
// require, relative ".js" imports find their ".ts" files, and @juicefs/core resolves to its sources.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const packagesDir = path.resolve(__dirname, '../..');
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const ws = /^@juicefs\/([a-z]+)(?:\/(.+))?$/.exec(request);
  if (ws) return path.join(packagesDir, ws[1], 'src', ws[2] ? `${ws[2]}/index.ts` : 'index.ts');
  if (request.startsWith('.') && request.endsWith('.js') && parent && parent.filename) {
    const ts = path.resolve(path.dirname(parent.filename), request.slice(0, -3) + '.ts');
    if (fs.existsSync(ts)) return ts;
  }
  return originalResolve.call(this, request, parent, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
