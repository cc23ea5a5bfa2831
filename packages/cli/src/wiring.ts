/**
 * The one place that knows every implementation: META-URLs become engines here. Commands take
 * what this returns and code against the contracts.
 */
import { openEngineStore } from '@juicefs/meta';

export type EngineStore = Awaited<ReturnType<typeof openEngineStore>>;

/** Open META-URL's engine, run `fn`, and always close the connection. */
export async function withEngine<T>(metaUrl: string, fn: (store: EngineStore) => Promise<T>): Promise<T> {
  const store = await openEngineStore(metaUrl);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
