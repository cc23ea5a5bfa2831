import type { MetaCase } from '../types.js';
import { dataCases } from './data.js';
import { nameCases } from './names.js';
import { nodeCases } from './nodes.js';
import { openCases } from './open.js';
import { readdirCases } from './readdir.js';
import { removeCases } from './remove.js';
import { renameCases } from './rename.js';
import { volumeCases } from './volume.js';

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
  ];
}
