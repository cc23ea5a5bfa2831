export { createControlHandler, type ControlContext } from './handler.js';
export { ControlCode, CacheAction } from './protocol.js';
export { findMount, sendControl, fileTransport, type ControlTransport, type MountPath } from './client.js';
