// Run a TypeScript file of this workspace in a child process, the way jest runs tests
// (scripts/ts-register.cjs). Usage: node ts-run.cjs <file.ts> [args...]
'use strict';
const path = require('node:path');
require('../../../../scripts/ts-register.cjs');

const [file, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], path.resolve(file), ...args];
require(path.resolve(file));
