import { DevFuseChannel, type FuseChannel } from './channel.js';
import { PollFuseChannel, canPollFuseDevice } from './poll-channel.js';

/**
 * How requests are read from /dev/fuse: `poll` on the event loop (the default, fastest), or
 * `worker`, a thread blocked in read(2) that posts each request over (the fallback where this
 * Node lacks the handle `poll` needs). JFS_FUSE_READER=worker picks the fallback by hand.
 */
export type FuseReader = 'poll' | 'worker';

/** The channel for a /dev/fuse descriptor; start it once the descriptor is mounted. */
export function openFuseChannel(fd: number, bufferSize: number, log: (message: string) => void, reader?: FuseReader): FuseChannel {
  const wanted = reader ?? (process.env['JFS_FUSE_READER'] === 'worker' ? 'worker' : 'poll');
  if (wanted === 'poll' && canPollFuseDevice()) return new PollFuseChannel(fd, bufferSize, log);
  return new DevFuseChannel(fd, bufferSize, log);
}
