import type { SqlDialect } from './url.js';

const NODE_COLUMNS = [
  'inode', 'type', 'flags', 'mode', 'uid', 'gid', 'atime', 'mtime', 'ctime', 'atimensec', 'mtimensec',
  'ctimensec', 'nlink', 'length', 'rdev', 'parent', 'access_acl_id', 'default_acl_id', 'tier_id',
] as const;

/** Columns of `jfs_node` in the order `nodeParams` binds them. */
export const NODE_COLUMN_LIST = NODE_COLUMNS;

/**
 * Every statement the engine issues, built once per (dialect, table prefix) so the drivers can
 * cache one prepared statement per text. Identifiers are double-quoted (valid on both dialects);
 * upserts use `ON CONFLICT … DO UPDATE`, which SQLite ≥ 3.24 and PostgreSQL share.
 */
export function buildQueries(dialect: SqlDialect, prefix: string) {
  const t = (name: string) => `"${prefix}${name}"`;
  const node = t('node');
  const edge = t('edge');
  const chunk = t('chunk');
  const ref = t('chunk_ref');
  const counter = t('counter');
  const cols = NODE_COLUMNS.map((c) => `"${c}"`).join(',');
  const marks = NODE_COLUMNS.map(() => '?').join(',');
  const updates = NODE_COLUMNS.slice(1).map((c) => `"${c}"=excluded."${c}"`).join(',');
  // lookupEntry: the directory (p), its entry (e) and the entry's node (c) in one statement;
  // the child's columns come back as "c_<column>".
  const pcols = NODE_COLUMNS.map((c) => `p."${c}"`).join(',');
  const ccols = NODE_COLUMNS.map((c) => `c."${c}" AS "c_${c}"`).join(',');
  // A Go client appends with `||`, which on SQLite yields a TEXT value; read it back as bytes.
  const slicesCol = dialect === 'sqlite3' ? 'CAST("slices" AS BLOB) AS "slices"' : '"slices"';
  return {
    // nodes
    getNode: `SELECT ${cols} FROM ${node} WHERE "inode"=?`,
    getNodes: `SELECT ${cols} FROM ${node} WHERE "inode" = ANY(?::bigint[])`,
    putNode: `INSERT INTO ${node} (${cols}) VALUES (${marks}) ON CONFLICT ("inode") DO UPDATE SET ${updates}`,
    insertNodeIfAbsent: `INSERT INTO ${node} (${cols}) VALUES (${marks}) ON CONFLICT ("inode") DO NOTHING`,
    deleteNode: `DELETE FROM ${node} WHERE "inode"=?`,
    lookupEntry: `SELECT ${pcols},e."inode" AS "e_inode",e."type" AS "e_type",${ccols} FROM ${node} p LEFT JOIN ${edge} e ON e."parent"=p."inode" AND e."name"=? LEFT JOIN ${node} c ON c."inode"=e."inode" WHERE p."inode"=?`,
    // entries
    getEntry: `SELECT "inode","type" FROM ${edge} WHERE "parent"=? AND "name"=?`,
    putEntry: `INSERT INTO ${edge} ("parent","name","inode","type") VALUES (?,?,?,?) ON CONFLICT ("parent","name") DO UPDATE SET "inode"=excluded."inode","type"=excluded."type"`,
    deleteEntry: `DELETE FROM ${edge} WHERE "parent"=? AND "name"=?`,
    anyEntry: `SELECT 1 AS "one" FROM ${edge} WHERE "parent"=? LIMIT 1`,
    listEntries: `SELECT "name","inode","type" FROM ${edge} WHERE "parent"=? ORDER BY "name" LIMIT ?`,
    listEntriesPlus: `SELECT e."name",e."inode",e."type",${ccols} FROM ${edge} e LEFT JOIN ${node} c ON c."inode"=e."inode" WHERE e."parent"=? ORDER BY e."name" LIMIT ?`,
    listEntriesPlusAfter: `SELECT e."name",e."inode",e."type",${ccols} FROM ${edge} e LEFT JOIN ${node} c ON c."inode"=e."inode" WHERE e."parent"=? AND e."name">? ORDER BY e."name" LIMIT ?`,
    listEntriesAfter: `SELECT "name","inode","type" FROM ${edge} WHERE "parent"=? AND "name">? ORDER BY "name" LIMIT ?`,
    parents: `SELECT "parent", COUNT(*) AS "n" FROM ${edge} WHERE "inode"=? GROUP BY "parent"`,
    // symlinks
    getSymlink: `SELECT "target" FROM ${t('symlink')} WHERE "inode"=?`,
    putSymlink: `INSERT INTO ${t('symlink')} ("inode","target") VALUES (?,?) ON CONFLICT ("inode") DO UPDATE SET "target"=excluded."target"`,
    deleteSymlink: `DELETE FROM ${t('symlink')} WHERE "inode"=?`,
    // chunks and slice references
    getChunk: `SELECT ${slicesCol} FROM ${chunk} WHERE "inode"=? AND "indx"=?`,
    appendChunk: `INSERT INTO ${chunk} ("inode","indx","slices") VALUES (?,?,?) ON CONFLICT ("inode","indx") DO UPDATE SET "slices"=${chunk}."slices" || excluded."slices"`,
    putChunk: `INSERT INTO ${chunk} ("inode","indx","slices") VALUES (?,?,?) ON CONFLICT ("inode","indx") DO UPDATE SET "slices"=excluded."slices"`,
    deleteChunk: `DELETE FROM ${chunk} WHERE "inode"=? AND "indx"=?`,
    listChunks: `SELECT "indx" FROM ${chunk} WHERE "inode"=? ORDER BY "indx"`,
    newRef: `INSERT INTO ${ref} ("chunkid","size","refs") VALUES (?,?,1)`,
    addRef: `UPDATE ${ref} SET "refs"="refs"+? WHERE "chunkid"=? RETURNING "refs"`,
    insertRef: `INSERT INTO ${ref} ("chunkid","size","refs") VALUES (?,?,?)`,
    pendingRefs: `SELECT "chunkid","size" FROM ${ref} WHERE "refs"<=0 ORDER BY "chunkid" LIMIT ?`,
    deleteRef: `DELETE FROM ${ref} WHERE "chunkid"=?`,
    // xattrs
    getXattr: `SELECT "value" FROM ${t('xattr')} WHERE "inode"=? AND "name"=?`,
    listXattr: `SELECT "name" FROM ${t('xattr')} WHERE "inode"=? ORDER BY "name"`,
    putXattr: `INSERT INTO ${t('xattr')} ("inode","name","value") VALUES (?,?,?) ON CONFLICT ("inode","name") DO UPDATE SET "value"=excluded."value"`,
    deleteXattr: `DELETE FROM ${t('xattr')} WHERE "inode"=? AND "name"=?`,
    deleteXattrs: `DELETE FROM ${t('xattr')} WHERE "inode"=?`,
    // counters
    getCounter: `SELECT "value" FROM ${counter} WHERE "name"=?`,
    addCounter: `INSERT INTO ${counter} ("name","value") VALUES (?,?) ON CONFLICT ("name") DO UPDATE SET "value"=${counter}."value"+excluded."value"`,
    incrCounter: `INSERT INTO ${counter} ("name","value") VALUES (?,?) ON CONFLICT ("name") DO UPDATE SET "value"=${counter}."value"+excluded."value" RETURNING "value"`,
    /** Two counters in one statement (usedSpace and totalInodes change together). */
    addTwoCounters: `INSERT INTO ${counter} ("name","value") VALUES (?,?),(?,?) ON CONFLICT ("name") DO UPDATE SET "value"=${counter}."value"+excluded."value"`,
    initCounter: `INSERT INTO ${counter} ("name","value") VALUES (?,?) ON CONFLICT ("name") DO NOTHING`,
    // directory statistics
    getDirStat: `SELECT "data_length","used_space","used_inodes" FROM ${t('dir_stats')} WHERE "inode"=?`,
    initDirStat: `INSERT INTO ${t('dir_stats')} ("inode","data_length","used_space","used_inodes") VALUES (?,0,0,0) ON CONFLICT ("inode") DO UPDATE SET "data_length"=0,"used_space"=0,"used_inodes"=0`,
    addDirStat: `INSERT INTO ${t('dir_stats')} ("inode","data_length","used_space","used_inodes") VALUES (?,?,?,?) ON CONFLICT ("inode") DO UPDATE SET "data_length"=${t('dir_stats')}."data_length"+excluded."data_length","used_space"=${t('dir_stats')}."used_space"+excluded."used_space","used_inodes"=${t('dir_stats')}."used_inodes"+excluded."used_inodes"`,
    deleteDirStat: `DELETE FROM ${t('dir_stats')} WHERE "inode"=?`,
    // The flush of deferred deltas: tracked directories only (Go's doUpdateDirStat).
    bumpDirStat: `UPDATE ${t('dir_stats')} SET "data_length"="data_length"+?,"used_space"="used_space"+?,"used_inodes"="used_inodes"+? WHERE "inode"=?`,
    // deleted and sustained files
    putDelFile: `INSERT INTO ${t('delfile')} ("inode","length","expire") VALUES (?,?,?) ON CONFLICT ("inode") DO UPDATE SET "length"=excluded."length","expire"=excluded."expire"`,
    listDelFiles: `SELECT "inode","length","expire" FROM ${t('delfile')} ORDER BY "expire","inode" LIMIT ?`,
    deleteDelFile: `DELETE FROM ${t('delfile')} WHERE "inode"=?`,
    addSustained: `INSERT INTO ${t('sustained')} ("sid","inode") VALUES (?,?) ON CONFLICT ("sid","inode") DO NOTHING`,
    removeSustained: `DELETE FROM ${t('sustained')} WHERE "sid"=? AND "inode"=?`,
    listSustained: `SELECT "inode" FROM ${t('sustained')} WHERE "sid"=? ORDER BY "inode"`,
    // locks
    getFlocks: `SELECT "sid","owner","ltype" FROM ${t('flock')} WHERE "inode"=? ORDER BY "id"`,
    putFlock: `INSERT INTO ${t('flock')} ("inode","sid","owner","ltype") VALUES (?,?,?,?) ON CONFLICT ("inode","sid","owner") DO UPDATE SET "ltype"=excluded."ltype"`,
    deleteFlock: `DELETE FROM ${t('flock')} WHERE "inode"=? AND "sid"=? AND "owner"=?`,
    getPlocks: `SELECT "sid","owner","records" FROM ${t('plock')} WHERE "inode"=? ORDER BY "id"`,
    putPlock: `INSERT INTO ${t('plock')} ("inode","sid","owner","records") VALUES (?,?,?,?) ON CONFLICT ("inode","sid","owner") DO UPDATE SET "records"=excluded."records"`,
    deletePlock: `DELETE FROM ${t('plock')} WHERE "inode"=? AND "sid"=? AND "owner"=?`,
    flockedInodes: `SELECT DISTINCT "inode" FROM ${t('flock')} WHERE "sid"=? ORDER BY "inode"`,
    plockedInodes: `SELECT DISTINCT "inode" FROM ${t('plock')} WHERE "sid"=? ORDER BY "inode"`,
    // sessions and settings
    putSession: `INSERT INTO ${t('session2')} ("sid","expire","info") VALUES (?,?,?) ON CONFLICT ("sid") DO UPDATE SET "expire"=excluded."expire","info"=COALESCE(excluded."info",${t('session2')}."info")`,
    deleteSession: `DELETE FROM ${t('session2')} WHERE "sid"=?`,
    listSessions: `SELECT "sid","expire","info" FROM ${t('session2')} ORDER BY "sid"`,
    getSetting: `SELECT "value" FROM ${t('setting')} WHERE "name"=?`,
    putSetting: `INSERT INTO ${t('setting')} ("name","value") VALUES (?,?) ON CONFLICT ("name") DO UPDATE SET "value"=excluded."value"`,
  };
}

export type Queries = ReturnType<typeof buildQueries>;
