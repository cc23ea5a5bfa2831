#!/usr/bin/env node
// Print the workspace packages' folders (packages/<dir>), dependencies before dependents, one per
// line: the order to build them in (each one's typecheck needs its dependencies' dist/ declarations).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dirs = readdirSync(join(root, 'packages')).filter((d) => existsSync(join(root, 'packages', d, 'package.json')));
const byName = new Map();
for (const d of dirs) byName.set(JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')).name, d);
const done = new Set();
const visit = (d, stack = []) => {
  if (done.has(d)) return;
  if (stack.includes(d)) throw new Error(`dependency cycle: ${[...stack, d].join(' -> ')}`);
  const pkg = JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    const depDir = byName.get(dep);
    if (depDir) visit(depDir, [...stack, d]);
  }
  done.add(d);
  console.log(d);
};
for (const d of dirs.sort()) visit(d);
