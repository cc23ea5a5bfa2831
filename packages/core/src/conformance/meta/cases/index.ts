import type { MetaCase } from '../types.js';
import { clientOptionCases } from './client-options.js';
import { concurrencyCases } from './concurrency.js';
import { dataCases } from './data.js';
import { lockCases } from './locks.js';
import { nameCases } from './names.js';
import { nodeCases } from './nodes.js';
import { openCases } from './open.js';
import { ownerQuotaCases } from './owner-quotas.js';
import { permissionCases } from './permissions.js';
import { readdirCases } from './readdir.js';
import { removeCases } from './remove.js';
import { renameCases } from './rename.js';
import { sessionCases } from './sessions.js';
import { statCases } from './stats.js';
import { timeCases } from './times.js';
import { trashCases } from './trash.js';
import { volumeCases } from './volume.js';
import { xattrCases } from './xattrs.js';

/** Every case of the Meta conformance suite, grouped, in registration order. */
export function metaConformanceCases(): MetaCase[] {
  return [
    ...volumeCases,
    ...nodeCases,
    ...nameCases,
    ...removeCases,
    ...renameCases,
    ...readdirCases,
    ...openCases,
    ...dataCases,
    ...timeCases,
    ...xattrCases,
    ...statCases,
    ...ownerQuotaCases,
    ...permissionCases,
    ...sessionCases,
    ...lockCases,
    ...trashCases,
    ...concurrencyCases,
    ...clientOptionCases,
  ];
}
