import fs from 'node:fs/promises';

/**
 * Supplementary groups of a process, from /proc/<pid>/status ("Groups:"), cached briefly per
 * pid: the kernel sends only the primary gid, and the VFS needs every group when it checks
 * permissions itself (mounts without default_permissions). A process that is gone, or a
 * kernel without /proc, yields just the primary gid.
 */
export class GroupCache {
  private readonly cache = new Map<number, { gids: number[]; gid: number; until: number }>();

  constructor(private readonly ttlMs = 5_000) {}

  async get(pid: number, gid: number): Promise<number[]> {
    const now = Date.now();
    const hit = this.cache.get(pid);
    if (hit !== undefined && hit.until > now && hit.gid === gid) return hit.gids;
    let gids = [gid];
    try {
      const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
      const line = /^Groups:\s*(.*)$/m.exec(status)?.[1] ?? '';
      const extra = line.split(/\s+/).filter((x) => x !== '').map(Number);
      gids = [gid, ...extra.filter((g) => g !== gid)];
    } catch {
      // The caller may have exited already: its primary group is all we know.
    }
    if (this.cache.size > 4096) this.cache.clear();
    this.cache.set(pid, { gids, gid, until: now + this.ttlMs });
    return gids;
  }
}
