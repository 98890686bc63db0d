import type { Kysely } from 'kysely';
import { findAdminTokenById } from '../store/admin-tokens.js';
import type { DB } from '../store/tables.js';

/** Whether the admin token a console session was opened with still stands: revoking it ends the session too. */
export async function adminTokenStillValid(db: Kysely<DB>, tokenId: string, now: Date): Promise<boolean> {
  const row = await findAdminTokenById(db, tokenId);
  return row !== undefined && (row.revoked_at === null || new Date(row.revoked_at) > now);
}
