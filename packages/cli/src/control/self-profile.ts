import { mkdtemp, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** Run one inspector command of this process's own session. */
function post<T>(session: Session, method: string): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, (err, result) => (err ? reject(err) : resolve(result as T))));
}

/**
 * Profile this process's CPU for `ms` with V8's sampling profiler (the event loop keeps serving
 * meanwhile) and write the profile (.cpuprofile, as Chrome DevTools and `node --cpu-prof` write it)
 * to a file only this user can read. Returns its path.
 */
export async function profileThisProcess(ms: number): Promise<string> {
  const session = new Session();
  session.connect();
  try {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.start');
    await new Promise((r) => setTimeout(r, ms));
    const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
    const dir = await mkdtemp(path.join(tmpdir(), 'juicefs-profile-'));
    const file = path.join(dir, `cpu-${process.pid}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile), { mode: 0o600 });
    return file;
  } finally {
    session.disconnect();
  }
}
