import { fsError, type ListOptions, type ObjectInfo, type ObjectStorage, type PutOptions } from '@juicefs/core';

/**
 * A view of `inner` below `prefix` (a volume's `<Name>/`): keys are prefixed on the way in and
 * stripped on the way out, so the chunk store never sees the volume name.
 */
export function withPrefix(inner: ObjectStorage, prefix: string): ObjectStorage {
  if (prefix !== '' && !prefix.endsWith('/')) throw fsError('EINVAL', `prefix "${prefix}" must end with "/"`);
  const strip = (i: ObjectInfo): ObjectInfo => ({ ...i, key: i.key.slice(prefix.length) });
  return {
    description: `${inner.description}${prefix}`,
    create: () => inner.create(),
    get: (key: string, offset?: number, limit?: number) => inner.get(prefix + key, offset, limit),
    put: (key: string, data: Buffer, o?: PutOptions) => inner.put(prefix + key, data, o),
    delete: (key: string) => inner.delete(prefix + key),
    localFile: (key: string) => inner.localFile?.(prefix + key),
    ...(inner.restore ? { restore: (key: string) => inner.restore!(prefix + key) } : {}),
    head: async (key: string) => strip(await inner.head(prefix + key)),
    list: async (p: string, opts: ListOptions = {}) => {
      const inner_opts: ListOptions = { ...opts };
      if (opts.startAfter !== undefined) inner_opts.startAfter = prefix + opts.startAfter;
      return (await inner.list(prefix + p, inner_opts)).map(strip);
    },
  };
}
