import { MemoryEngine } from './engine.js';
import { MemoryVolumeState } from './state.js';

export { MemoryEngine } from './engine.js';
export { MemoryVolumeState } from './state.js';

/** Named in-process volumes, so `memory://name` opened twice gives two clients of one volume. */
const volumes = new Map<string, MemoryVolumeState>();

/**
 * Open an in-memory engine. `memory://NAME` (or `memory:NAME`) shares the volume NAME with every
 * other engine opened with that URL in this process; a bare `memory://` is always a new volume.
 */
export async function createMemoryEngine(url = 'memory://'): Promise<MemoryEngine> {
  const name = url.replace(/^memory:(\/\/)?/, '').replace(/\/+$/, '');
  if (!name) return new MemoryEngine();
  let state = volumes.get(name);
  if (!state) {
    state = new MemoryVolumeState();
    volumes.set(name, state);
  }
  return new MemoryEngine(state);
}
