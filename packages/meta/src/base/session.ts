import os from 'node:os';
import { CLIENT_VERSION, LockType, type Ino, type NewSessionOptions, type Session, type SessionInfo } from '@juicefs/core';
import { flushQuotas, loadQuotas, startQuotaSync, stopQuotaSync } from './quota.js';
import type { MetaState } from './state.js';
import { unixNow } from './tx-util.js';
import { releaseSustained } from './unlink-node.js';

/** Default seconds between heartbeats; a session expires after five missed ones. */
export const DEFAULT_HEARTBEAT = 12;

function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.push(a.address);
  }
  return out;
}

/** Session info JSON with Go's member order (IPAddrs omitted when empty). */
export function encodeSessionInfo(info: SessionInfo): string {
  const ordered: Record<string, unknown> = { Version: info.Version, HostName: info.HostName };
  if (info.IPAddrs && info.IPAddrs.length > 0) ordered.IPAddrs = info.IPAddrs;
  ordered.MountPoint = info.MountPoint;
  ordered.MountTime = info.MountTime;
  ordered.ProcessID = info.ProcessID;
  return JSON.stringify(ordered);
}

export async function newSession(m: MetaState, options: NewSessionOptions = {}): Promise<number> {
  m.heartbeat = options.heartbeat ?? DEFAULT_HEARTBEAT;
  m.readOnly = options.readOnly ?? false;
  if (m.readOnly) {
    m.sid = 0; // read-only clients register no session
    return 0;
  }
  const info: SessionInfo = {
    Version: CLIENT_VERSION,
    HostName: os.hostname(),
    IPAddrs: localAddresses(),
    MountPoint: '',
    MountTime: new Date().toISOString(),
    ProcessID: process.pid,
    ...options.info,
  };
  m.sessionInfo = encodeSessionInfo(info);
  const sid = options.sid !== undefined && options.sid > 0 ? options.sid : await m.store.newSessionId();
  await m.store.setSession(sid, unixNow() + 5 * m.heartbeat, m.sessionInfo);
  m.sid = sid;
  startHeartbeat(m);
  await loadQuotas(m);
  startQuotaSync(m);
  return sid;
}

/**
 * Keep the session alive in the background (every heartbeat); unref'd so it never holds the
 * process open. A failed refresh is retried at the next beat: five in a row make it stale.
 */
function startHeartbeat(m: MetaState): void {
  stopHeartbeat(m);
  const timer = setInterval(() => {
    refreshSession(m).catch(() => undefined);
  }, m.heartbeat * 1000);
  timer.unref();
  m.heartbeatTimer = timer;
}

export function stopHeartbeat(m: MetaState): void {
  if (m.heartbeatTimer) clearInterval(m.heartbeatTimer);
  m.heartbeatTimer = undefined;
}

export async function refreshSession(m: MetaState): Promise<void> {
  if (m.sid === 0) return;
  await m.store.setSession(m.sid, unixNow() + 5 * m.heartbeat, m.sessionInfo);
}

/** Release everything session `sid` holds: its locks, its sustained files, then the session. */
export async function cleanSession(m: MetaState, sid: number): Promise<void> {
  const locked = await m.store.listLockedInodes(sid);
  for (const ino of locked.flock) {
    await m.store.txn(async (tx) => {
      for (const l of await tx.getFlocks(ino)) if (l.sid === sid) tx.setFlock(ino, sid, l.owner, undefined);
    });
  }
  for (const ino of locked.plock) {
    await m.store.txn(async (tx) => {
      for (const l of await tx.getPlocks(ino)) if (l.sid === sid) tx.setPlock(ino, sid, l.owner, []);
    });
  }
  for (const ino of await m.store.listSustained(sid)) await releaseSustained(m, sid, ino);
  await m.store.deleteSession(sid);
}

export async function closeSession(m: MetaState): Promise<void> {
  stopHeartbeat(m);
  stopQuotaSync(m);
  await flushQuotas(m).catch(() => undefined); // what is lost here, quota check --repair recounts
  if (m.sid === 0) return;
  await cleanSession(m, m.sid);
  m.sid = 0;
  m.openFiles.clear();
  m.sustained.clear();
}

/** Clean every session whose expiry is before `now` (Unix seconds); returns how many. */
export async function cleanStaleSessions(m: MetaState, now = unixNow()): Promise<number> {
  let cleaned = 0;
  for (const row of await m.store.listSessions()) {
    if (row.expire >= now || row.sid === m.sid) continue;
    await cleanSession(m, row.sid);
    cleaned++;
  }
  return cleaned;
}

function parseInfo(text: string | undefined): SessionInfo | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as SessionInfo;
  } catch {
    return undefined;
  }
}

export async function listSessions(m: MetaState): Promise<Session[]> {
  const sessions: Session[] = [];
  for (const row of await m.store.listSessions()) {
    const locked = await m.store.listLockedInodes(row.sid);
    const flocks: Session['flocks'] = [];
    const plocks: Session['plocks'] = [];
    await m.store.txn(async (tx) => {
      flocks.length = 0; // the engine may re-run a transaction
      plocks.length = 0;
      for (const ino of locked.flock) {
        for (const l of await tx.getFlocks(ino)) if (l.sid === row.sid) flocks.push({ ino, owner: l.owner, type: l.type });
      }
      for (const ino of locked.plock) {
        for (const l of await tx.getPlocks(ino)) {
          const records = l.records.filter((r) => r.type !== LockType.Unlock);
          if (l.sid === row.sid && records.length > 0) plocks.push({ ino, owner: l.owner, records });
        }
      }
    });
    const sustained: Ino[] = await m.store.listSustained(row.sid);
    sessions.push({ sid: row.sid, expire: row.expire, info: parseInfo(row.info), sustained, flocks, plocks });
  }
  return sessions;
}
