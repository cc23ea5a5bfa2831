// The juicefs binary run from the TypeScript sources: `node packages/cli/test/support/juicefs-from-source.cjs ARGS`.
require('../../../../scripts/ts-register.cjs');
require('../../src/bin/juicefs.ts');
