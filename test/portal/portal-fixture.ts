import type { Test } from 'tap';
import { fakeApp, type FakeApp } from '../ncentral/fake-app.js';

export type Json = Record<string, unknown>;

export interface Answer<T = Json> {
  status: number;
  body: T;
  raw: string;
}

/** GET an admin route as the fake app's tenant admin (or with other headers). */
export async function get<T = Json>(a: FakeApp, url: string, headers: Record<string, string> = a.headers): Promise<Answer<T>> {
  const res = await a.app.inject({ method: 'GET', url: `/admin/v1${url}`, headers });
  const json = res.headers['content-type']?.toString().startsWith('application/json') ? (res.json() as T) : (undefined as T);
  return { status: res.statusCode, body: json, raw: res.body };
}

export async function post(a: FakeApp, url: string, payload?: Json): Promise<Answer> {
  const res = await a.app.inject({ method: 'POST', url: `/admin/v1${url}`, headers: a.headers, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() as Json, raw: res.body };
}

/** Every item of a keyset-paged list, page by page, `limit` at a time. */
export async function walk(a: FakeApp, path: string, key: string, limit: number, headers: Record<string, string> = a.headers): Promise<Json[]> {
  const items: Json[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  for (let pages = 0; pages < 10_000; pages++) {
    const res: Answer = await get(a, `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, headers);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${res.raw}`);
    items.push(...(res.body[key] as Json[]));
    cursor = res.body['nextCursor'] as string | null;
    if (cursor === null) return items;
  }
  throw new Error('the cursor never ended');
}

/** A fake app whose tenant has finished the wizard (every N-central customer created as a client) and synced once. */
export async function syncedApp(t: Test, options: Parameters<typeof fakeApp>[1] = {}): Promise<FakeApp & { firstRun: Json }> {
  const a = await fakeApp(t, options);
  await a.connect();
  const verify = await post(a, '/ncentral/verify');
  if (verify.body['ok'] !== true) throw new Error(`verify failed: ${verify.raw}`);
  await post(a, '/ncentral/create-unmatched');
  const run = await post(a, '/ncentral/finish?wait=true');
  if (run.body['status'] !== 'succeeded') throw new Error(`first sync failed: ${run.raw}`);
  return Object.assign(a, { firstRun: run.body });
}

export const sync = async (a: FakeApp): Promise<Json> => {
  const run = await post(a, '/ncentral/sync?wait=true');
  if (run.body['status'] !== 'succeeded') throw new Error(`sync failed: ${run.raw}`);
  return run.body;
};
