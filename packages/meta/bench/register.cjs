// `node -r ./bench/register.cjs`: run the TypeScript sources without a build (see scripts/ts-register.cjs).
require('../../../scripts/ts-register.cjs');
