// @juicefs/chunk: the JuiceFS data layer. Object storage over OpenDAL and the chunk store.
export * from './layout/index.js';
export * from './compress/index.js';
export * from './object/index.js';
export * from './cache/index.js';
export * from './store/index.js';
export * from './volume/index.js';
