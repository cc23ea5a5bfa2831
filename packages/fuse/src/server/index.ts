// The FUSE server: sessions, the opcode table, INIT negotiation and the handler interface.
export * from './handler.js';
export * from './errors.js';
export * from './init.js';
export * from './ops.js';
export * from './channel.js';
export * from './session.js';
export * from './poll-channel.js';
export * from './open-channel.js';
