import { changeLogSeconds, type ChangeLogEntry, type ChangeLogStore } from '../base/changelog.js';
import type { SqlConn } from './driver.js';
import type { SqlDialect } from './url.js';

/** Lines examined per statement when trimming by age. */
const TRIM_BATCH = 1000;

/**
 * The change log in `jfs_change_log` (FORMAT.md 5.x): one row per line, its auto-increment id the
 * line's version. Lines are appended by SqlTx inside the operation's transaction.
 */
export function sqlChangeLog(
  raw: <T>(fn: (c: SqlConn) => Promise<T>) => Promise<T>,
  prefix: string,
  dialect: SqlDialect,
): ChangeLogStore {
  const table = `"${prefix}change_log"`;
  const name = `${prefix}change_log`;
  /**
   * The newest version ever handed out: the id sequence, which survives a trim of every line and
   * is what a load sets; MAX(id) as well, where a server reports its sequence lazily (MySQL 8
   * caches information_schema).
   */
  const last = async (c: SqlConn): Promise<number> => {
    const [r] = await c.all(`SELECT MAX("id") AS "last" FROM ${table}`);
    const max = r?.['last'] === null || r?.['last'] === undefined ? 0 : Number(r['last']);
    return Math.max(max, await sequence(c));
  };
  const sequence = async (c: SqlConn): Promise<number> => {
    if (dialect === 'sqlite3') {
      const [r] = await c.all(`SELECT "seq" FROM sqlite_sequence WHERE "name"=?`, [name]);
      return r ? Number(r['seq']) : 0;
    }
    if (dialect === 'postgres') {
      const [r] = await c.all(`SELECT pg_sequence_last_value(pg_get_serial_sequence('${name}', 'id')::regclass) AS "seq"`);
      return r?.['seq'] === null || r?.['seq'] === undefined ? 0 : Number(r['seq']);
    }
    const [r] = await c.all(
      `SELECT "AUTO_INCREMENT" AS "next" FROM information_schema."TABLES" WHERE "TABLE_SCHEMA"=DATABASE() AND "TABLE_NAME"=?`,
      [name],
    );
    return r?.['next'] === null || r?.['next'] === undefined ? 0 : Number(r['next']) - 1;
  };
  return {
    read: (after, limit) =>
      raw(async (c) => {
        const n = Math.max(1, Math.floor(limit));
        const rows = await c.all(`SELECT "id","entry" FROM ${table} WHERE "id">? ORDER BY "id" LIMIT ${n}`, [after]);
        return rows.map((r): ChangeLogEntry => ({ version: Number(r['id']), entry: String(r['entry']) }));
      }),
    last: () => raw(last),
    trim: ({ before, maxLines }) =>
      raw(async (c) => {
        let dropped = 0;
        if (maxLines !== undefined) {
          const newest = await last(c);
          if (newest > maxLines) dropped += await c.run(`DELETE FROM ${table} WHERE "id"<=?`, [newest - maxLines]);
        }
        if (before === undefined) return dropped;
        // Lines are in time order by id: find the first one young enough, drop everything older.
        let after = 0;
        for (;;) {
          const rows = await c.all(`SELECT "id","entry" FROM ${table} WHERE "id">? ORDER BY "id" LIMIT ${TRIM_BATCH}`, [after]);
          const young = rows.find((r) => (changeLogSeconds(String(r['entry'])) ?? Infinity) >= before);
          const cut = young ? Number(young['id']) - 1 : rows.length > 0 ? Number(rows[rows.length - 1]!['id']) : after;
          if (cut > after) dropped += await c.run(`DELETE FROM ${table} WHERE "id"<=?`, [cut]);
          if (young || rows.length < TRIM_BATCH) return dropped;
          after = cut;
        }
      }),
    setLast: (version) =>
      raw(async (c) => {
        if (version <= (await last(c))) return;
        if (dialect === 'sqlite3') {
          // As an integer: sqlite_sequence's column has no type, so a double would stay a double.
          const seq = BigInt(Math.floor(version));
          const updated = await c.run(`UPDATE sqlite_sequence SET "seq"=? WHERE "name"=?`, [seq, name]);
          if (updated === 0) await c.run(`INSERT INTO sqlite_sequence ("name","seq") VALUES (?,?)`, [name, seq]);
        } else if (dialect === 'postgres') {
          await c.all(`SELECT setval(pg_get_serial_sequence('${name}', 'id'), ?)`, [version]);
        } else {
          await c.run(`ALTER TABLE ${table} AUTO_INCREMENT = ${Math.floor(version) + 1}`);
        }
      }),
  };
}
