import { mountedPosixSuite } from './mount-harness.js';

// The POSIX suite on a real juicefs mount of a SQLite + local-directory volume.
mountedPosixSuite({ label: 'SQLite', tag: 'sqlite', metaUrl: async (dir) => `sqlite3://${dir}/meta.db` });
