/** Who is calling: the credentials permission checks use. */
export interface Context {
  uid: number;
  gid: number;
  /** Supplementary groups, including `gid`. */
  gids: number[];
  pid: number;
  /** Skip permission checks (the root of a trusted service, admin tools). */
  checkPermission?: boolean;
}

export const ROOT_CONTEXT: Context = { uid: 0, gid: 0, gids: [0], pid: 0 };

export function context(uid: number, gid: number, gids: number[] = [gid], pid = 0): Context {
  return { uid, gid, gids: gids.includes(gid) ? gids : [gid, ...gids], pid };
}
