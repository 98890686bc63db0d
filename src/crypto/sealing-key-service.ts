import { resolve } from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import { SERVICE_WIDE } from '../audit/audit-entry.js';
import { systemActor } from '../audit/request-actor.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import {
  findAnySealedValue,
  listSealedValues,
  listUnsealedSigningKeys,
  lockKeyFingerprint,
  recordKeyFingerprintIfAbsent,
  replaceKeyFingerprint,
  writeSealedValue,
  type SealedValue,
} from '../store/sealed-secrets.js';
import type { DB } from '../store/tables.js';
import { loadOrCreateKeyFile } from './key-file.js';
import { keyFingerprint, keyMatchesFingerprint, shortFingerprint } from './key-fingerprint.js';
import { openSecret, sealContext, sealSecret, SealedSecretError } from './sealed-secret.js';

/** The process's key does not match what sealed the stored secrets: it must not start (one line, naming the fix). */
export class SealingKeyMismatch extends Error {
  override name = 'SealingKeyMismatch';
}

export interface SealingKeyDeps {
  db: Kysely<DB>;
  clock: Clock;
  log: Logger;
  config: Pick<Config, 'encryptionKey' | 'encryptionKeyPrevious' | 'encryptionKeyFile'>;
}

interface KeySource {
  key: Buffer;
  /** How an operator recognises it in a message: the variable, or the file's path. */
  origin: string;
}

/**
 * Run once at start (server and CLI), after migrations: settles which key seals secrets and makes the database
 * agree with it, in one transaction.
 * - ENCRYPTION_KEY, else the key file beside the data (created on first start).
 * - The first start records the key's fingerprint; later starts with another key are refused, unless that other
 *   key is ENCRYPTION_KEY_PREVIOUS, in which case every sealed value is re-sealed under the new key (rotation).
 * - Signing keys stored in clear by earlier versions are sealed.
 */
export async function establishSealingKey(deps: SealingKeyDeps): Promise<Buffer> {
  const source = await keySource(deps);
  const previous = deps.config.encryptionKeyPrevious;
  await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now();
    let recorded = await lockKeyFingerprint(trx);
    if (recorded === undefined) {
      // A fresh database, or one from before fingerprints: the key that opens what is sealed there is the one to record.
      const sample = await findAnySealedValue(trx);
      const sealer = sample ? [source.key, previous].find((k) => k !== undefined && opens(k, sample)) : source.key;
      if (!sealer) throw mismatch(source, 'the secrets stored by an earlier version');
      // Insert-if-absent, then compare: of two replicas starting together with different new keys, one wins.
      recorded = await recordKeyFingerprintIfAbsent(trx, keyFingerprint(sealer), now);
    }
    if (keyMatchesFingerprint(source.key, recorded)) {
      if (previous) deps.log.warn('ENCRYPTION_KEY_PREVIOUS is set, but the stored secrets are already sealed under the current key; remove ENCRYPTION_KEY_PREVIOUS');
    } else if (previous && keyMatchesFingerprint(previous, recorded)) {
      const count = await resealAll(trx, previous, source.key);
      await replaceKeyFingerprint(trx, keyFingerprint(source.key), now);
      // Counts only: neither key nor its fingerprint (a hash of a secret) goes into the audit trail.
      await appendAuditEntry(trx, {
        tenantId: SERVICE_WIDE,
        actor: systemActor('startup'),
        action: 'encryption_key.reseal',
        target: { type: 'encryption_key', id: 'current' },
        outcome: 'success',
        detail: { resealed: count },
        occurredAt: now,
      });
      deps.log.warn({ resealed: count }, 'rotated the encryption key: every sealed secret is now sealed under the new key; remove ENCRYPTION_KEY_PREVIOUS');
    } else {
      throw mismatch(source, `the stored secrets (fingerprint ${shortFingerprint(recorded)})`);
    }
    const sealed = await sealClearSigningKeys(trx, source.key);
    if (sealed > 0) deps.log.warn({ sealed }, 'sealed the signing keys an earlier version stored unencrypted');
  });
  return source.key;
}

async function keySource(deps: SealingKeyDeps): Promise<KeySource> {
  const { encryptionKey, encryptionKeyFile } = deps.config;
  if (encryptionKey) return { key: encryptionKey, origin: 'ENCRYPTION_KEY' };
  const file = await loadOrCreateKeyFile(encryptionKeyFile);
  const path = resolve(file.path);
  if (file.created) {
    deps.log.warn(
      { keyFile: path },
      `generated the encryption key in ${path}: it seals signing keys and N-central tokens, so back it up with the data (without it they cannot be opened); replicas sharing the database need the same key as ENCRYPTION_KEY`,
    );
  }
  if (file.looseMode !== undefined) {
    deps.log.warn({ keyFile: path, mode: file.looseMode.toString(8) }, `the key file ${path} is readable by others than its owner; chmod 600 it`);
  }
  return { key: file.key, origin: `the key file ${path}, as ENCRYPTION_KEY is unset` };
}

function mismatch(source: KeySource, what: string): SealingKeyMismatch {
  return new SealingKeyMismatch(
    `the encryption key (${source.origin}) is not the key that sealed ${what}: start with the same ENCRYPTION_KEY as the process that sealed them (another replica, or the key file restored from backup), or to rotate set ENCRYPTION_KEY to the new key and ENCRYPTION_KEY_PREVIOUS to the old one`,
  );
}

const contextOf = (v: SealedValue): string =>
  v.table === 'signing_keys' ? sealContext.signingKey(v.rowKey) : sealContext.ncentralToken(v.rowKey);

function opens(key: Buffer, v: SealedValue): boolean {
  try {
    openSecret(key, v.value, contextOf(v));
    return true;
  } catch (err) {
    if (err instanceof SealedSecretError) return false;
    throw err;
  }
}

async function resealAll(trx: Transaction<DB>, from: Buffer, to: Buffer): Promise<number> {
  const values = await listSealedValues(trx);
  for (const v of values) {
    let plaintext: string;
    try {
      plaintext = openSecret(from, v.value, contextOf(v));
    } catch {
      throw new SealingKeyMismatch(`cannot rotate: ${v.table} ${v.rowKey} does not open with ENCRYPTION_KEY_PREVIOUS; nothing was changed`);
    }
    await writeSealedValue(trx, { ...v, value: sealSecret(to, plaintext, contextOf(v)) });
  }
  return values.length;
}

async function sealClearSigningKeys(trx: Transaction<DB>, key: Buffer): Promise<number> {
  const clear = await listUnsealedSigningKeys(trx);
  for (const k of clear) {
    await writeSealedValue(trx, { table: 'signing_keys', rowKey: k.kid, value: sealSecret(key, k.privateKey, sealContext.signingKey(k.kid)) });
  }
  return clear.length;
}
