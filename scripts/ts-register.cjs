// Lets plain `node` run this workspace's TypeScript sources the way jest does: SWC compiles each
// .ts file to CommonJS when required, `./x.js` imports resolve to `./x.ts`, and @juicefs/<pkg>
// resolves to packages/<pkg>/src. Used by the CLI tests (the real binary in a real process), the
// FUSE test children and the benchmarks, so none of them waits for a build.
const path = require('node:path');
const fs = require('node:fs');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '..');
const origResolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const ws = /^@juicefs\/([a-z]+)(?:\/(.+))?$/.exec(request);
  if (ws) {
    const sub = ws[2] ? `${ws[2]}/index.ts` : 'index.ts';
    return path.join(root, 'packages', ws[1], 'src', sub);
  }
  if (request.startsWith('.') && request.endsWith('.js') && parent && parent.filename && parent.filename.endsWith('.ts')) {
    const ts = path.resolve(path.dirname(parent.filename), request.slice(0, -3) + '.ts');
    if (fs.existsSync(ts)) return ts;
  }
  return origResolve.call(this, request, parent, ...rest);
};
// Transpiled files are cached by path and modification time: each CLI test spawns many processes.
const cacheDir = path.join(require('node:os').tmpdir(), 'jfs-ts-register-cache');
fs.mkdirSync(cacheDir, { recursive: true });
require.extensions['.ts'] = function (module, filename) {
  const st = fs.statSync(filename);
  const key = require('node:crypto').createHash('sha1').update(`${filename}:${st.mtimeMs}:${st.size}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  if (fs.existsSync(cached)) return module._compile(fs.readFileSync(cached, 'utf8'), filename);
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  fs.writeFileSync(`${cached}.${process.pid}`, code);
  fs.renameSync(`${cached}.${process.pid}`, cached);
  module._compile(code, filename);
};
