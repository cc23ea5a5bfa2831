export * from './juicefs.js';
export * from './stats.js';
export { parseOpenFlags, type OpenFlags } from './open-flags.js';
export { PathResolver, MAX_SYMLINKS } from './path-resolver.js';
export * from './streams.js';
export { JuiceFSBase, type JuiceFSOptions } from './juicefs-base.js';
