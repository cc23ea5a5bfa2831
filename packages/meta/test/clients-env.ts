import type { Meta } from '@juicefs/core';
import type { MetaTestEnv } from '@juicefs/core/conformance';

/**
 * A conformance environment whose clients come from `open` (each a new Meta on the same volume):
 * cleanup shuts every client down, then runs `dropVolume`. Servers may already refuse a client
 * (a test that stopped one): `ignoreShutdownErrors` lets cleanup go on regardless.
 */
export async function clientsEnv(
  open: () => Promise<Meta>,
  dropVolume: () => Promise<void> = async () => undefined,
  ignoreShutdownErrors = true,
): Promise<MetaTestEnv> {
  const clients: Meta[] = [];
  const newClient = async (): Promise<Meta> => {
    const meta = await open();
    clients.push(meta);
    return meta;
  };
  return {
    meta: await newClient(),
    newClient,
    cleanup: async () => {
      await Promise.all(clients.map((c) => (ignoreShutdownErrors ? c.shutdown().catch(() => undefined) : c.shutdown())));
      await dropVolume();
    },
  };
}
