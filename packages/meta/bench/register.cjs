// Lets `node` run the TypeScript sources the way jest does: each .ts file is compiled to
// CommonJS by SWC when required, relative ".js" imports resolve to their ".ts" files, and
// @juicefs/* packages resolve to their sources (no build needed before a benchmark).
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const packages = path.resolve(__dirname, '../..');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const workspace = /^@juicefs\/([a-z]+)(?:\/(.+))?$/.exec(request);
  if (workspace) {
    const sub = workspace[2] ? `${workspace[2]}/index.ts` : 'index.ts';
    return path.join(packages, workspace[1], 'src', sub);
  }
  if (request.startsWith('.') && request.endsWith('.js') && parent?.filename) {
    const candidate = path.resolve(path.dirname(parent.filename), `${request.slice(0, -3)}.ts`);
    if (fs.existsSync(candidate)) return candidate;
  }
  return resolve.call(this, request, parent, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
