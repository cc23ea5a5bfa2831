import type { SqlDialect } from './url.js';

const NODE_COLUMNS = [
  'inode', 'type', 'flags', 'mode', 'uid', 'gid', 'atime', 'mtime', 'ctime', 'atimensec', 'mtimensec',
  'ctimensec', 'nlink', 'length', 'rdev', 'parent', 'access_acl_id', 'default_acl_id', 'tier_id',
] as const;

/** Columns of `jfs_node` in the order `nodeParams` binds them. */
export const NODE_COLUMN_LIST = NODE_COLUMNS;

/**
 * Every statement the engine issues, built once per (dialect, table prefix) so the drivers can
 * cache one prepared statement per text. Identifiers are double-quoted everywhere (MySQL
 * connections run with ANSI_QUOTES, see mysql-driver.ts). Upserts use `ON CONFLICT … DO UPDATE`,
 * which SQLite ≥ 3.24 and PostgreSQL share; MySQL says `ON DUPLICATE KEY UPDATE` with `VALUES(col)`
 * for the row that was to be inserted (the `AS new` alias is MySQL ≥ 8.0.19 only, not MariaDB),
 * `INSERT IGNORE` for `DO NOTHING`, `CONCAT()` for `||` and has no `UPDATE … RETURNING`.
 */
export function buildQueries(dialect: SqlDialect, prefix: string) {
  const my = dialect === 'mysql';
  const upsert = (keys: string) => (my ? 'ON DUPLICATE KEY UPDATE' : `ON CONFLICT (${keys}) DO UPDATE SET`);
  const ex = (column: string) => (my ? `VALUES("${column}")` : `excluded."${column}"`);
  const ignore = (insert: string, keys: string) =>
    my ? insert.replace(/^INSERT /, 'INSERT IGNORE ') : `${insert} ON CONFLICT (${keys}) DO NOTHING`;
  const concat = (a: string, b: string) => (my ? `CONCAT(${a},${b})` : `${a} || ${b}`);
  const t = (name: string) => `"${prefix}${name}"`;
  const node = t('node');
  const edge = t('edge');
  const chunk = t('chunk');
  const ref = t('chunk_ref');
  const counter = t('counter');
  const cols = NODE_COLUMNS.map((c) => `"${c}"`).join(',');
  const marks = NODE_COLUMNS.map(() => '?').join(',');
  const updates = NODE_COLUMNS.slice(1).map((c) => `"${c}"=${ex(c)}`).join(',');
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
    putNode: `INSERT INTO ${node} (${cols}) VALUES (${marks}) ${upsert('"inode"')} ${updates}`,
    insertNodeIfAbsent: ignore(`INSERT INTO ${node} (${cols}) VALUES (${marks})`, '"inode"'),
    deleteNode: `DELETE FROM ${node} WHERE "inode"=?`,
    lookupEntry: `SELECT ${pcols},e."inode" AS "e_inode",e."type" AS "e_type",${ccols} FROM ${node} p LEFT JOIN ${edge} e ON e."parent"=p."inode" AND e."name"=? LEFT JOIN ${node} c ON c."inode"=e."inode" WHERE p."inode"=?`,
    // entries
    getEntry: `SELECT "inode","type" FROM ${edge} WHERE "parent"=? AND "name"=?`,
    putEntry: `INSERT INTO ${edge} ("parent","name","inode","type") VALUES (?,?,?,?) ${upsert('"parent","name"')} "inode"=${ex('inode')},"type"=${ex('type')}`,
    deleteEntry: `DELETE FROM ${edge} WHERE "parent"=? AND "name"=?`,
    anyEntry: `SELECT 1 AS "one" FROM ${edge} WHERE "parent"=? LIMIT 1`,
    listEntries: `SELECT "name","inode","type" FROM ${edge} WHERE "parent"=? ORDER BY "name" LIMIT ?`,
    listEntriesPlus: `SELECT e."name",e."inode",e."type",${ccols} FROM ${edge} e LEFT JOIN ${node} c ON c."inode"=e."inode" WHERE e."parent"=? ORDER BY e."name" LIMIT ?`,
    listEntriesPlusAfter: `SELECT e."name",e."inode",e."type",${ccols} FROM ${edge} e LEFT JOIN ${node} c ON c."inode"=e."inode" WHERE e."parent"=? AND e."name">? ORDER BY e."name" LIMIT ?`,
    listEntriesAfter: `SELECT "name","inode","type" FROM ${edge} WHERE "parent"=? AND "name">? ORDER BY "name" LIMIT ?`,
    parents: `SELECT "parent", COUNT(*) AS "n" FROM ${edge} WHERE "inode"=? GROUP BY "parent"`,
    // symlinks
    getSymlink: `SELECT "target" FROM ${t('symlink')} WHERE "inode"=?`,
    putSymlink: `INSERT INTO ${t('symlink')} ("inode","target") VALUES (?,?) ${upsert('"inode"')} "target"=${ex('target')}`,
    deleteSymlink: `DELETE FROM ${t('symlink')} WHERE "inode"=?`,
    // chunks and slice references
    getChunk: `SELECT ${slicesCol} FROM ${chunk} WHERE "inode"=? AND "indx"=?`,
    appendChunk: `INSERT INTO ${chunk} ("inode","indx","slices") VALUES (?,?,?) ${upsert('"inode","indx"')} "slices"=${concat(`${chunk}."slices"`, ex('slices'))}`,
    putChunk: `INSERT INTO ${chunk} ("inode","indx","slices") VALUES (?,?,?) ${upsert('"inode","indx"')} "slices"=${ex('slices')}`,
    deleteChunk: `DELETE FROM ${chunk} WHERE "inode"=? AND "indx"=?`,
    listChunks: `SELECT "indx" FROM ${chunk} WHERE "inode"=? ORDER BY "indx"`,
    newRef: `INSERT INTO ${ref} ("chunkid","size","refs") VALUES (?,?,1)`,
    /** False on MySQL: `addRef` and `incrCounter` return no rows; read the value with `getRef`/`getCounter`. */
    returning: !my,
    addRef: `UPDATE ${ref} SET "refs"="refs"+? WHERE "chunkid"=?${my ? '' : ' RETURNING "refs"'}`,
    getRef: `SELECT "refs" FROM ${ref} WHERE "chunkid"=?`,
    insertRef: `INSERT INTO ${ref} ("chunkid","size","refs") VALUES (?,?,?)`,
    pendingRefs: `SELECT "chunkid","size" FROM ${ref} WHERE "refs"<=0 ORDER BY "chunkid" LIMIT ?`,
    deleteRef: `DELETE FROM ${ref} WHERE "chunkid"=?`,
    // xattrs
    getXattr: `SELECT "value" FROM ${t('xattr')} WHERE "inode"=? AND "name"=?`,
    listXattr: `SELECT "name" FROM ${t('xattr')} WHERE "inode"=? ORDER BY "name"`,
    putXattr: `INSERT INTO ${t('xattr')} ("inode","name","value") VALUES (?,?,?) ${upsert('"inode","name"')} "value"=${ex('value')}`,
    deleteXattr: `DELETE FROM ${t('xattr')} WHERE "inode"=? AND "name"=?`,
    deleteXattrs: `DELETE FROM ${t('xattr')} WHERE "inode"=?`,
    // counters
    getCounter: `SELECT "value" FROM ${counter} WHERE "name"=?`,
    addCounter: `INSERT INTO ${counter} ("name","value") VALUES (?,?) ${upsert('"name"')} "value"=${counter}."value"+${ex('value')}`,
    incrCounter: `INSERT INTO ${counter} ("name","value") VALUES (?,?) ${upsert('"name"')} "value"=${counter}."value"+${ex('value')}${my ? '' : ' RETURNING "value"'}`,
    /** Two counters in one statement (usedSpace and totalInodes change together). */
    addTwoCounters: `INSERT INTO ${counter} ("name","value") VALUES (?,?),(?,?) ${upsert('"name"')} "value"=${counter}."value"+${ex('value')}`,
    initCounter: ignore(`INSERT INTO ${counter} ("name","value") VALUES (?,?)`, '"name"'),
    // directory statistics
    getDirStat: `SELECT "data_length","used_space","used_inodes" FROM ${t('dir_stats')} WHERE "inode"=?`,
    initDirStat: `INSERT INTO ${t('dir_stats')} ("inode","data_length","used_space","used_inodes") VALUES (?,0,0,0) ${upsert('"inode"')} "data_length"=0,"used_space"=0,"used_inodes"=0`,
    addDirStat: `INSERT INTO ${t('dir_stats')} ("inode","data_length","used_space","used_inodes") VALUES (?,?,?,?) ${upsert('"inode"')} "data_length"=${t('dir_stats')}."data_length"+${ex('data_length')},"used_space"=${t('dir_stats')}."used_space"+${ex('used_space')},"used_inodes"=${t('dir_stats')}."used_inodes"+${ex('used_inodes')}`,
    deleteDirStat: `DELETE FROM ${t('dir_stats')} WHERE "inode"=?`,
    // The flush of deferred deltas: tracked directories only (Go's doUpdateDirStat).
    bumpDirStat: `UPDATE ${t('dir_stats')} SET "data_length"="data_length"+?,"used_space"="used_space"+?,"used_inodes"="used_inodes"+? WHERE "inode"=?`,
    // deleted and sustained files
    putDelFile: `INSERT INTO ${t('delfile')} ("inode","length","expire") VALUES (?,?,?) ${upsert('"inode"')} "length"=${ex('length')},"expire"=${ex('expire')}`,
    listDelFiles: `SELECT "inode","length","expire" FROM ${t('delfile')} ORDER BY "expire","inode" LIMIT ?`,
    deleteDelFile: `DELETE FROM ${t('delfile')} WHERE "inode"=?`,
    addSustained: ignore(`INSERT INTO ${t('sustained')} ("sid","inode") VALUES (?,?)`, '"sid","inode"'),
    removeSustained: `DELETE FROM ${t('sustained')} WHERE "sid"=? AND "inode"=?`,
    listSustained: `SELECT "inode" FROM ${t('sustained')} WHERE "sid"=? ORDER BY "inode"`,
    // locks
    getFlocks: `SELECT "sid","owner","ltype" FROM ${t('flock')} WHERE "inode"=? ORDER BY "id"`,
    putFlock: `INSERT INTO ${t('flock')} ("inode","sid","owner","ltype") VALUES (?,?,?,?) ${upsert('"inode","sid","owner"')} "ltype"=${ex('ltype')}`,
    deleteFlock: `DELETE FROM ${t('flock')} WHERE "inode"=? AND "sid"=? AND "owner"=?`,
    getPlocks: `SELECT "sid","owner","records" FROM ${t('plock')} WHERE "inode"=? ORDER BY "id"`,
    putPlock: `INSERT INTO ${t('plock')} ("inode","sid","owner","records") VALUES (?,?,?,?) ${upsert('"inode","sid","owner"')} "records"=${ex('records')}`,
    deletePlock: `DELETE FROM ${t('plock')} WHERE "inode"=? AND "sid"=? AND "owner"=?`,
    flockedInodes: `SELECT DISTINCT "inode" FROM ${t('flock')} WHERE "sid"=? ORDER BY "inode"`,
    plockedInodes: `SELECT DISTINCT "inode" FROM ${t('plock')} WHERE "sid"=? ORDER BY "inode"`,
    // sessions and settings
    putSession: `INSERT INTO ${t('session2')} ("sid","expire","info") VALUES (?,?,?) ${upsert('"sid"')} "expire"=${ex('expire')},"info"=COALESCE(${ex('info')},${t('session2')}."info")`,
    deleteSession: `DELETE FROM ${t('session2')} WHERE "sid"=?`,
    listSessions: `SELECT "sid","expire","info" FROM ${t('session2')} ORDER BY "sid"`,
    getSetting: `SELECT "value" FROM ${t('setting')} WHERE "name"=?`,
    putSetting: `INSERT INTO ${t('setting')} ("name","value") VALUES (?,?) ${upsert('"name"')} "value"=${ex('value')}`,
    // the change log (its id is the line's version)
    appendChangeLog: `INSERT INTO ${t('change_log')} ("entry") VALUES (?)`,
  };
}

export type Queries = ReturnType<typeof buildQueries>;
