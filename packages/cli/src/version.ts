import { CLIENT_VERSION } from '@juicefs/core';

/** This implementation's own version, after the JuiceFS version whose formats it speaks. */
export const VERSION = `${CLIENT_VERSION}-ts (juicefs-ts 0.1.0)`;
