import { randomUUID } from 'node:crypto';
import { startService, type ServiceProcess } from '../helpers/process.js';
import type { PrivatePostgres } from './private-postgres.js';
import { chaosDatabase, provisionTenant, type ChaosDatabase } from './setup.js';

export interface WriteTally {
  requests: number;
  acknowledged: Set<string>;
  fiveOhThrees: number;
  otherFailures: Map<string, number>;
  slowestFailureMs: number;
  findings: string[];
}

const newTally = (): WriteTally => ({ requests: 0, acknowledged: new Set(), fiveOhThrees: 0, otherFailures: new Map(), slowestFailureMs: 0, findings: [] });

function user(userName: string): string {
  return JSON.stringify({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    externalId: randomUUID(),
    active: true,
    name: { givenName: 'Chaos', familyName: 'Monkey' },
    emails: [{ type: 'work', value: userName, primary: true }],
  });
}

/** Entra-like creates from `workers` loops until `stop()`; records every acknowledged (201) id. */
function driveCreates(service: () => ServiceProcess, token: string, workers: number, tally: WriteTally, failureBoundMs: number) {
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    let i = 0;
    while (running) {
      const userName = `chaos-${w}-${i++}-${randomUUID().slice(0, 8)}@example.test`;
      const started = Date.now();
      tally.requests++;
      try {
        const res = await fetch(service().url('/scim/v2/Users'), {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
          body: user(userName),
          signal: AbortSignal.timeout(failureBoundMs + 10_000),
        });
        const text = await res.text();
        const ms = Date.now() - started;
        if (res.status === 201) {
          tally.acknowledged.add((JSON.parse(text) as { id: string }).id);
          continue;
        }
        tally.slowestFailureMs = Math.max(tally.slowestFailureMs, ms);
        if (res.status === 503) {
          tally.fiveOhThrees++;
          const body = JSON.parse(text) as { schemas?: string[]; status?: string };
          if (!body.schemas?.includes('urn:ietf:params:scim:api:messages:2.0:Error') || body.status !== '503') {
            tally.findings.push(`503 not a SCIM Error: ${text.slice(0, 200)}`);
          }
          if (ms > failureBoundMs) tally.findings.push(`a 503 took ${ms} ms (bound ${failureBoundMs} ms)`);
        } else {
          const key = `${res.status}`;
          tally.otherFailures.set(key, (tally.otherFailures.get(key) ?? 0) + 1);
          if (res.status >= 500) tally.findings.push(`answered ${res.status}: ${text.slice(0, 200)}`);
        }
      } catch (err) {
        // The process is gone (kill -9) or the socket was cut: unacknowledged, which is allowed.
        const key = `no answer (${(err as Error).name})`;
        tally.otherFailures.set(key, (tally.otherFailures.get(key) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  return async () => {
    running = false;
    await Promise.all(loops);
  };
}

/**
 * Every acknowledged create is in the database; every account has its Create log entry and every Create
 * success entry its account (a write and its entry commit together or not at all); no account row is partial.
 */
async function verifyWrites(db: ChaosDatabase, tenantId: string, tally: WriteTally): Promise<{ found: number; extraCommitted: number; problems: string[] }> {
  const problems: string[] = [];
  const accounts = await db.query<{ id: string; user_name: string | null; given_name: string | null; family_name: string | null; resource: Record<string, unknown> | null }>(
    `select * from accounts where tenant_id = $1`,
    [tenantId],
  );
  const ids = new Set(accounts.map((a) => a.id));
  const found = [...tally.acknowledged].filter((id) => ids.has(id)).length;
  if (found !== tally.acknowledged.size) problems.push(`${tally.acknowledged.size - found} acknowledged creates are missing`);
  for (const a of accounts) {
    const resource = a.resource ?? {};
    const mismatch = resource['userName'] !== undefined && resource['userName'] !== a.user_name;
    if (!a.user_name || !a.given_name || !a.family_name || mismatch) {
      problems.push(`partial account row ${a.id}: ${JSON.stringify(a).slice(0, 200)}`);
    }
  }
  const entries = await db.query<{ target_id: string | null }>(
    `select target_id from provisioning_log where tenant_id = $1 and operation = 'Create' and outcome = 'success'`,
    [tenantId],
  );
  const logged = new Set(entries.map((e) => e.target_id));
  const withoutEntry = [...ids].filter((id) => !logged.has(id));
  const entryWithoutAccount = [...logged].filter((id) => id === null || !ids.has(id));
  if (withoutEntry.length > 0) problems.push(`${withoutEntry.length} accounts have no Create log entry`);
  if (entryWithoutAccount.length > 0) problems.push(`${entryWithoutAccount.length} Create log entries have no account`);
  return { found, extraCommitted: ids.size - found, problems };
}

export interface OutageReport {
  requests: number;
  acknowledged: number;
  found: number;
  extraCommitted: number;
  fiveOhThrees: number;
  slowestFailureMs: number;
  readyzDuringOutage: number;
  recoveredAfterMs: number;
  findings: string[];
}

/** PostgreSQL stopped under load, then started again; the service must answer 503 quickly and resume alone. */
export async function databaseOutage(pgServer: PrivatePostgres, log: (l: string) => void): Promise<OutageReport> {
  const db = await chaosDatabase(pgServer.url, 'outage');
  const connectTimeoutMs = 1000;
  const env = { ...db.env, DATABASE_CONNECT_TIMEOUT_MS: String(connectTimeoutMs), DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_POOL_MAX: '10' };
  const service = await startService(env);
  const findings: string[] = [];
  try {
    const { tenantId, scimToken } = await provisionTenant(env, 'outage');
    const tally = newTally();
    // Failures must come back within the connect timeout plus a margin, never hang.
    const bound = connectTimeoutMs + 4000;
    const stop = driveCreates(() => service, scimToken, 8, tally, bound);
    await new Promise((r) => setTimeout(r, 3000));
    log(`  outage: ${tally.acknowledged.size} creates acknowledged before the stop; stopping PostgreSQL (immediate)`);
    pgServer.stop('immediate');
    await new Promise((r) => setTimeout(r, 1500));
    const readyz = await fetch(service.url('/readyz'), { signal: AbortSignal.timeout(10_000) });
    const readyzDuringOutage = readyz.status;
    if (readyz.status !== 503) findings.push(`/readyz answered ${readyz.status} while PostgreSQL was down`);
    await new Promise((r) => setTimeout(r, 3000));
    log(`  outage: ${tally.fiveOhThrees} × 503 while down; starting PostgreSQL`);
    const restartedAt = Date.now();
    pgServer.start();
    let recoveredAfterMs = -1;
    while (Date.now() - restartedAt < 30_000) {
      const r = await fetch(service.url('/readyz')).catch(() => undefined);
      if (r?.status === 200) {
        recoveredAfterMs = Date.now() - restartedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    if (recoveredAfterMs < 0) findings.push('the service did not become ready within 30 s of PostgreSQL returning');
    const ackedAtRestart = tally.acknowledged.size;
    await new Promise((r) => setTimeout(r, 3000));
    await stop();
    if (tally.acknowledged.size <= ackedAtRestart) findings.push('no create succeeded after PostgreSQL returned');
    if (tally.fiveOhThrees === 0) findings.push('no request was answered 503 during the outage');
    await new Promise((r) => setTimeout(r, 500));
    const verdict = await verifyWrites(db, tenantId, tally);
    findings.push(...tally.findings.slice(0, 10), ...verdict.problems);
    return {
      requests: tally.requests,
      acknowledged: tally.acknowledged.size,
      found: verdict.found,
      extraCommitted: verdict.extraCommitted,
      fiveOhThrees: tally.fiveOhThrees,
      slowestFailureMs: tally.slowestFailureMs,
      readyzDuringOutage,
      recoveredAfterMs,
      findings,
    };
  } finally {
    await service.stop();
    await db.drop().catch(() => undefined);
  }
}

export interface KillReport {
  requests: number;
  acknowledged: number;
  found: number;
  extraCommitted: number;
  findings: string[];
}

/** kill -9 a replica in the middle of writes; the other replica and a restarted one find no partial rows. */
export async function killReplica(url: string, log: (l: string) => void): Promise<KillReport> {
  const db = await chaosDatabase(url, 'kill');
  let victim = await startService(db.env);
  try {
    const { tenantId, scimToken } = await provisionTenant(db.env, 'kill');
    const tally = newTally();
    const stop = driveCreates(() => victim, scimToken, 8, tally, 15_000);
    await new Promise((r) => setTimeout(r, 2500));
    log(`  kill -9: ${tally.acknowledged.size} creates acknowledged; killing the replica mid-write`);
    victim.child.kill('SIGKILL');
    await victim.exited;
    await stop();
    victim = await startService(db.env);
    const verdict = await verifyWrites(db, tenantId, tally);
    return {
      requests: tally.requests,
      acknowledged: tally.acknowledged.size,
      found: verdict.found,
      extraCommitted: verdict.extraCommitted,
      findings: [...tally.findings.slice(0, 10), ...verdict.problems],
    };
  } finally {
    await victim.stop();
    await db.drop().catch(() => undefined);
  }
}
