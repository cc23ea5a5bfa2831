import { randomUUID } from 'node:crypto';

/**
 * WebDAV write locks, in memory (as Go's webdav.NewMemLS): exclusive locks only, depth 0 or
 * infinity, each with a timeout after which it is gone. Enough for the macOS Finder and the
 * Windows redirector, which lock before they write and unlock after; a restart forgets them all.
 * Paths are the served paths ("/a/b"), not volume paths.
 */

export interface DavLock {
  token: string;
  root: string;
  depth: 0 | 'infinity';
  /** The <owner> element's inner XML, returned as sent. */
  owner: string;
  /** Seconds, as granted. */
  timeout: number;
  expires: number;
}

/** Longest lock granted (a client asking for Infinite gets this): a crashed client's lock must end. */
export const MAX_LOCK_SECONDS = 24 * 3600;
/** Lock timeout when the client names none. */
export const DEFAULT_LOCK_SECONDS = 3600;

export function isUnder(path: string, root: string): boolean {
  return path === root || root === '/' || path.startsWith(root + '/');
}

/** The Timeout header (`Second-N`, `Infinite`, or a list of them) in seconds, capped. */
export function parseTimeout(header: string | undefined): number {
  for (const t of (header ?? '').split(',').map((s) => s.trim())) {
    if (/^infinite$/i.test(t)) return MAX_LOCK_SECONDS;
    const m = /^Second-(\d+)$/i.exec(t);
    if (m) return Math.max(1, Math.min(Number(m[1]), MAX_LOCK_SECONDS));
  }
  return DEFAULT_LOCK_SECONDS;
}

/**
 * The state tokens an If header submits (`(<urn:uuid:…>)`, tagged or not). Conditions are not
 * evaluated: a request may go ahead when it holds the token of every lock in its way.
 */
export function submittedTokens(header: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const list of (header ?? '').matchAll(/\(([^)]*)\)/g)) {
    for (const t of (list[1] ?? '').matchAll(/<([^>]+)>/g)) out.add(t[1]!);
  }
  return out;
}

export class LockManager {
  private readonly locks = new Map<string, DavLock>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(): DavLock[] {
    const t = this.now();
    for (const [k, l] of this.locks) if (l.expires <= t) this.locks.delete(k);
    return [...this.locks.values()];
  }

  /** Locks that cover `path` (on it, or above it with depth infinity), and with `subtree` those below it. */
  covering(path: string, subtree = false): DavLock[] {
    return this.live().filter((l) => l.root === path || (l.depth === 'infinity' && isUnder(path, l.root)) || (subtree && isUnder(l.root, path)));
  }

  /** A new lock, or the lock in its way. */
  create(root: string, depth: 0 | 'infinity', owner: string, timeout: number): { lock: DavLock } | { conflict: DavLock } {
    const conflict = this.covering(root, depth === 'infinity')[0];
    if (conflict) return { conflict };
    const lock: DavLock = { token: `urn:uuid:${randomUUID()}`, root, depth, owner, timeout, expires: this.now() + timeout * 1000 };
    this.locks.set(lock.token, lock);
    return { lock };
  }

  /** Extend one of `tokens` that covers `path`; undefined when none does. */
  refresh(path: string, tokens: Set<string>, timeout: number): DavLock | undefined {
    const lock = this.covering(path).find((l) => tokens.has(l.token));
    if (!lock) return undefined;
    lock.timeout = timeout;
    lock.expires = this.now() + timeout * 1000;
    return lock;
  }

  /** UNLOCK: false when `token` is no lock covering `path`. */
  unlock(path: string, token: string): boolean {
    const lock = this.covering(path).find((l) => l.token === token);
    if (!lock) return false;
    this.locks.delete(token);
    return true;
  }

  /** The first lock that keeps a request without `tokens` from changing `path` (and, with `subtree`, what is below it). */
  blocking(path: string, tokens: Set<string>, subtree: boolean): DavLock | undefined {
    return this.covering(path, subtree).find((l) => !tokens.has(l.token));
  }

  /** Forget the locks on `path` and below (it was deleted or moved away). */
  removeUnder(path: string): void {
    for (const l of this.live()) if (isUnder(l.root, path)) this.locks.delete(l.token);
  }

  get size(): number {
    return this.live().length;
  }
}
