export * from './flags.js';
export * from './options.js';
export * from './vfs.js';
export { ACCESSLOG_INODE, CONTROL_INODE, STATS_INODE, CONFIG_INODE, isVirtualInode } from './internal-nodes.js';
export { Histogram, VfsMetrics } from './metrics.js';
export type { ControlHandler } from './control-channel.js';
export { compactChunk, COMPACT_READ_THRESHOLD } from './compaction.js';
