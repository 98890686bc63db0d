import { isIP } from 'node:net';
import { join } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { readCertificatePair, type TlsFiles } from './http/tls-certificate.js';
import { parseAllowedHosts, PUBLIC_ONLY, type AllowedHosts } from './ncentral/allowed-hosts.js';

/**
 * Every environment variable the service reads, in one JSON Schema: it gives the Config type, the boot-time
 * check and the defaults. README.md documents each (a test keeps the two in step).
 * Only this module reads process.env.
 */
const Port = Type.Integer({ minimum: 1, maximum: 65535, description: 'an integer from 1 to 65535' });
const PositiveInt = (min: number, max: number) =>
  Type.Integer({ minimum: min, maximum: max, description: `an integer from ${min} to ${max}` });
const HttpUrl = Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$', description: 'an http(s) URL' });
const Flag = Type.Union([Type.Literal('true'), Type.Literal('false')], { description: '"true" or "false"' });
const Identifier = Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', description: 'a lower-case SQL identifier' });

export const ConfigSchema = Type.Object({
  PORT: Type.Optional(Port),
  HOST: Type.Optional(Type.String({ minLength: 1, description: 'a host name or address' })),
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: '^postgres(ql)?://', description: 'a postgres:// or postgresql:// URL' }),
  ),
  DATABASE_SCHEMA: Type.Optional(Identifier),
  DATABASE_POOL_MAX: Type.Optional(PositiveInt(1, 200)),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Optional(PositiveInt(100, 600_000)),
  DATABASE_CONNECT_TIMEOUT_MS: Type.Optional(PositiveInt(100, 60_000)),
  DATABASE_PREPARED_STATEMENTS: Type.Optional(Flag),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1, description: 'a folder path' })),
  LOG_LEVEL: Type.Optional(
    Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { description: 'one of fatal, error, warn, info, debug, trace, silent' },
    ),
  ),
  PUBLIC_BASE_URL: Type.Optional(HttpUrl),
  TRUST_PROXY: Type.Optional(
    Type.String({ minLength: 1, description: '"false", "true" or a comma-separated list of proxy addresses and CIDR ranges' }),
  ),
  SHUTDOWN_GRACE_MS: Type.Optional(PositiveInt(100, 300_000)),
  BODY_LIMIT_BYTES: Type.Optional(PositiveInt(1024, 50 * 1024 * 1024)),
  REQUEST_TIMEOUT_MS: Type.Optional(PositiveInt(1000, 600_000)),
  KEEP_ALIVE_TIMEOUT_MS: Type.Optional(PositiveInt(1000, 600_000)),
  MAX_HEADER_BYTES: Type.Optional(PositiveInt(1024, 1024 * 1024)),
  SCIM_MAX_FILTER_LENGTH: Type.Optional(PositiveInt(64, 65_536)),
  SCIM_MAX_PATCH_OPERATIONS: Type.Optional(PositiveInt(1, 100_000)),
  PROVISIONING_LOG_ENABLED: Type.Optional(Flag),
  ENCRYPTION_KEY: Type.Optional(
    Type.String({
      pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$',
      description: '32 bytes as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)',
    }),
  ),
  ENCRYPTION_KEY_PREVIOUS: Type.Optional(
    Type.String({
      pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$',
      description: 'the previous ENCRYPTION_KEY, 32 bytes as 64 hex digits or base64',
    }),
  ),
  ENCRYPTION_KEY_FILE: Type.Optional(Type.String({ minLength: 1, description: 'a file path' })),
  CONSOLE_SESSION_SECRET: Type.Optional(
    Type.String({ minLength: 32, description: 'at least 32 characters (e.g. `openssl rand -base64 48`)' }),
  ),
  CONSOLE_SESSION_TTL_MINUTES: Type.Optional(PositiveInt(5, 7 * 24 * 60)),
  OIDC_ISSUER: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', description: 'the OpenID provider issuer URL' })),
  OIDC_CLIENT_ID: Type.Optional(Type.String({ minLength: 1, description: 'the client (application) id' })),
  OIDC_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1, description: 'the client secret' })),
  OIDC_SCOPES: Type.Optional(Type.String({ pattern: '(^|\\s)openid(\\s|$)', description: 'space-separated scopes including openid' })),
  OIDC_TENANT_CLAIM: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:/-]{1,200}$', description: 'a claim name' })),
  OIDC_ROLE_CLAIM: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:/-]{1,200}$', description: 'a claim name' })),
  OIDC_ALLOW_LIST: Type.Optional(Type.String({ minLength: 1, description: 'entries `who=tenant:role`, separated by `;`, `,` or new lines' })),
  OIDC_TRUSTED_EMAIL_ISSUERS: Type.Optional(Type.String({ minLength: 1, description: 'issuer URLs separated by spaces or commas' })),
  ACCESS_TOKEN_TTL_SECONDS: Type.Optional(PositiveInt(60, 86_400)),
  TOKEN_FAILURE_LIMIT_PER_CLIENT_ADDRESS: Type.Optional(PositiveInt(1, 1_000_000)),
  TOKEN_RATE_LIMIT_PER_ADDRESS: Type.Optional(PositiveInt(1, 1_000_000)),
  TENANT_MAX_CONCURRENT_REQUESTS: Type.Optional(PositiveInt(1, 100_000)),
  TENANT_REQUESTS_PER_SECOND: Type.Optional(PositiveInt(1, 1_000_000)),
  TENANT_REQUEST_BURST: Type.Optional(PositiveInt(1, 1_000_000)),
  CREDENTIAL_RECHECK_SECONDS: Type.Optional(PositiveInt(1, 300)),
  RETENTION_DAYS: Type.Optional(PositiveInt(1, 3650)),
  AUDIT_RETENTION_DAYS: Type.Optional(PositiveInt(1, 3650)),
  NCENTRAL_ALLOWED_HOSTS: Type.Optional(
    Type.String({ maxLength: 10_000, description: 'comma-separated host names, *.wildcards and CIDR ranges' }),
  ),
  NCENTRAL_MAX_ANSWER_MIB: Type.Optional(PositiveInt(1, 1024)),
  NCENTRAL_MAX_MIB_PER_RUN: Type.Optional(PositiveInt(16, 1024 * 1024)),
  NCENTRAL_MAX_PAGES_PER_LISTING: Type.Optional(PositiveInt(1, 1_000_000)),
  NCENTRAL_MAX_ITEMS_PER_LISTING: Type.Optional(PositiveInt(1, 100_000_000)),
  NCENTRAL_MAX_FIELD_CHARS: Type.Optional(PositiveInt(256, 1024 * 1024)),
  METRICS_TOKEN: Type.Optional(
    Type.String({ pattern: '^[\\x21-\\x7e]{32,512}$', description: 'at least 32 printable characters without spaces (e.g. `openssl rand -hex 32`)' }),
  ),
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1, description: 'a path to a PEM certificate (chain) file' })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1, description: 'a path to a PEM private key file' })),
});

type RawConfig = Static<typeof ConfigSchema>;

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  databasePoolMax: number;
  databaseStatementTimeoutMs: number;
  databaseConnectTimeoutMs: number;
  /** Hot SCIM statements as named prepared statements; off for a pooler that cannot carry them (old PgBouncer). */
  databasePreparedStatements: boolean;
  dataDir: string;
  logLevel: string;
  publicBaseUrl: string | undefined;
  /**
   * Whose X-Forwarded-For to believe: false (nobody), the proxies' addresses/CIDR ranges, or true (every hop,
   * an explicit opt-in for a network where only the proxy can reach the service).
   */
  trustProxy: boolean | string[];
  shutdownGraceMs: number;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderBytes: number;
  /** Longest SCIM filter accepted (400 invalidFilter above). */
  scimMaxFilterLength: number;
  /** Most operations in one SCIM PATCH (400 invalidValue above). */
  scimMaxPatchOperations: number;
  /** Benchmarking/diagnostic switch: false stops writing provisioning-log entries for SCIM requests. */
  provisioningLogEnabled: boolean;
  /**
   * AES-256 key sealing secrets the service must read back (signing keys, N-central tokens). Unset in the
   * environment: createDeps fills it from the key file (generated on first start), so deps always carry one.
   */
  encryptionKey: Buffer | undefined;
  /** The key being rotated away from: everything sealed under it is re-sealed under encryptionKey at start. */
  encryptionKeyPrevious: Buffer | undefined;
  /** Where the generated key lives when ENCRYPTION_KEY is unset (default `<DATA_DIR>/encryption-key`). */
  encryptionKeyFile: string;
  /** Key signing console session cookies; unset: one generated per process (sessions end on restart). */
  consoleSessionSecret: string | undefined;
  consoleSessionTtlMinutes: number;
  /** OpenID Connect sign-in to the console; undefined unless issuer, client id and secret are all set. */
  oidc: OidcConfig | undefined;
  /** Lifetime of access tokens from POST /oauth2/token. */
  accessTokenTtlSeconds: number;
  /** Failed client authentications per minute per (client id, source address) before 429s. */
  tokenFailureLimitPerClientAddress: number;
  /** Token requests per minute per source address, counted before authentication. */
  tokenRateLimitPerAddress: number;
  /** Each tenant's share of one process for SCIM and admin API requests (429 above). */
  tenantMaxConcurrentRequests: number;
  tenantRequestsPerSecond: number;
  tenantRequestBurst: number;
  /** How stale a cached "this credential is still active" answer may be before it is read again. */
  credentialRecheckSeconds: number;
  /** Provisioning-log entries older than this many days are purged. */
  retentionDays: number;
  /** Audit entries older than this many days are purged (issue 19): auditors ask about a year back. */
  auditRetentionDays: number;
  /** When set, GET /metrics wants `Authorization: Bearer <this>`. */
  metricsToken: string | undefined;
  /** N-central servers a tenant may connect to besides public addresses (SSRF guard, issue 15). */
  ncentralAllowedHosts: AllowedHosts;
  /** Caps on what one N-central sync run reads; past one the run fails with `serverMisbehaved`. */
  ncentralLimits: NcentralReadLimits;
  /** Serve https with this certificate and key (checked at boot, reloaded when renewed); undefined: plain http. */
  tls: TlsFiles | undefined;
}

/** The same fields as `NcentralLimits` in src/ncentral/limits.ts (kept apart from the client's error types it sits beside). */
export interface NcentralReadLimits {
  maxAnswerBytes: number;
  maxBytesPerRun: number;
  maxPagesPerListing: number;
  maxItemsPerListing: number;
  maxFieldChars: number;
}

export type ConsoleRole = 'viewer' | 'admin';

/** One `who=tenant:role` entry of OIDC_ALLOW_LIST; tenant `*` means every tenant (a service-wide operator). */
export interface AllowListEntry {
  /** Lower-cased e-mail/UPN, `*@domain`, or `sub:…`/`oid:…`. */
  who: string;
  /** A tenant id or name, or `*`. */
  tenant: string;
  role: ConsoleRole;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  tenantClaim: string | undefined;
  roleClaim: string | undefined;
  allowList: AllowListEntry[];
  /**
   * Issuers (no trailing slash) whose `email`, `preferred_username` and `upn` the organisation assigns and users
   * cannot choose: those names match allow-list entries even without `email_verified: true`.
   */
  trustedEmailIssuers: string[];
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

const integerKeys = new Set(
  Object.entries(ConfigSchema.properties)
    .filter(([, s]) => (s as TSchema)['type'] === 'integer')
    .map(([k]) => k),
);

/** Reads and checks the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    // Environment values are strings; integers are parsed strictly so "8080abc" is refused, not truncated.
    raw[key] = integerKeys.has(key) && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  }
  const first = Value.Errors(ConfigSchema, raw).First();
  if (first) {
    const variable = first.path.replace(/^\//, '') || 'configuration';
    const schema = ConfigSchema.properties[variable as keyof RawConfig] as TSchema | undefined;
    const expected = (schema?.['description'] as string | undefined) ?? first.message;
    throw new ConfigError(variable, `must be ${expected} (got ${JSON.stringify(env[variable] ?? '')})`);
  }
  const c = raw as RawConfig;
  const config: Config = {
    port: c.PORT ?? 8080,
    host: c.HOST ?? '0.0.0.0',
    databaseUrl: c.DATABASE_URL,
    databaseSchema: c.DATABASE_SCHEMA,
    databasePoolMax: c.DATABASE_POOL_MAX ?? 10,
    databaseStatementTimeoutMs: c.DATABASE_STATEMENT_TIMEOUT_MS ?? 15_000,
    databaseConnectTimeoutMs: c.DATABASE_CONNECT_TIMEOUT_MS ?? 3_000,
    databasePreparedStatements: c.DATABASE_PREPARED_STATEMENTS !== 'false',
    dataDir: c.DATA_DIR ?? './data',
    logLevel: c.LOG_LEVEL ?? 'info',
    publicBaseUrl: c.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    trustProxy: c.TRUST_PROXY === undefined ? false : parseTrustProxy(c.TRUST_PROXY),
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS ?? 10_000,
    bodyLimitBytes: c.BODY_LIMIT_BYTES ?? 1024 * 1024,
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS ?? 30_000,
    keepAliveTimeoutMs: c.KEEP_ALIVE_TIMEOUT_MS ?? 72_000,
    maxHeaderBytes: c.MAX_HEADER_BYTES ?? 16 * 1024,
    scimMaxFilterLength: c.SCIM_MAX_FILTER_LENGTH ?? 2048,
    scimMaxPatchOperations: c.SCIM_MAX_PATCH_OPERATIONS ?? 1000,
    provisioningLogEnabled: c.PROVISIONING_LOG_ENABLED !== 'false',
    encryptionKey: c.ENCRYPTION_KEY === undefined ? undefined : decodeKey('ENCRYPTION_KEY', c.ENCRYPTION_KEY),
    encryptionKeyPrevious: previousKey(c),
    encryptionKeyFile: c.ENCRYPTION_KEY_FILE ?? join(c.DATA_DIR ?? './data', 'encryption-key'),
    consoleSessionSecret: c.CONSOLE_SESSION_SECRET,
    consoleSessionTtlMinutes: c.CONSOLE_SESSION_TTL_MINUTES ?? 480,
    oidc: oidcConfig(c),
    accessTokenTtlSeconds: c.ACCESS_TOKEN_TTL_SECONDS ?? 3600,
    tokenFailureLimitPerClientAddress: c.TOKEN_FAILURE_LIMIT_PER_CLIENT_ADDRESS ?? 60,
    tokenRateLimitPerAddress: c.TOKEN_RATE_LIMIT_PER_ADDRESS ?? 600,
    tenantMaxConcurrentRequests: c.TENANT_MAX_CONCURRENT_REQUESTS ?? 8,
    tenantRequestsPerSecond: c.TENANT_REQUESTS_PER_SECOND ?? 50,
    tenantRequestBurst: c.TENANT_REQUEST_BURST ?? 100,
    credentialRecheckSeconds: c.CREDENTIAL_RECHECK_SECONDS ?? 5,
    retentionDays: c.RETENTION_DAYS ?? 90,
    auditRetentionDays: c.AUDIT_RETENTION_DAYS ?? 400,
    metricsToken: c.METRICS_TOKEN,
    ncentralAllowedHosts: ncentralAllowedHosts(c.NCENTRAL_ALLOWED_HOSTS),
    ncentralLimits: {
      maxAnswerBytes: (c.NCENTRAL_MAX_ANSWER_MIB ?? 32) * 1024 * 1024,
      maxBytesPerRun: (c.NCENTRAL_MAX_MIB_PER_RUN ?? 4096) * 1024 * 1024,
      maxPagesPerListing: c.NCENTRAL_MAX_PAGES_PER_LISTING ?? 10_000,
      maxItemsPerListing: c.NCENTRAL_MAX_ITEMS_PER_LISTING ?? 1_000_000,
      maxFieldChars: c.NCENTRAL_MAX_FIELD_CHARS ?? 8192,
    },
    tls: tlsFiles(c),
  };
  return config;
}

/** Both or neither; a pair that would not serve (unreadable, not PEM, key not the certificate's) stops the boot. */
function tlsFiles(c: RawConfig): TlsFiles | undefined {
  const { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } = c;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) throw new ConfigError('TLS_CERT_FILE', 'must be set when TLS_KEY_FILE is (both or neither)');
  if (keyFile === undefined) throw new ConfigError('TLS_KEY_FILE', 'must be set when TLS_CERT_FILE is (both or neither)');
  const reading = readCertificatePair({ certFile, keyFile });
  if (!reading.ok) throw new ConfigError(reading.variable, reading.problem);
  return { certFile, keyFile };
}

function oidcConfig(c: RawConfig): OidcConfig | undefined {
  const { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret } = c;
  if (issuer === undefined && clientId === undefined && clientSecret === undefined) return undefined;
  for (const [name, value] of [['OIDC_ISSUER', issuer], ['OIDC_CLIENT_ID', clientId], ['OIDC_CLIENT_SECRET', clientSecret]] as const) {
    if (value === undefined) throw new ConfigError(name, 'must be set when any of OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET is');
  }
  const allowList = c.OIDC_ALLOW_LIST === undefined ? [] : parseAllowList(c.OIDC_ALLOW_LIST);
  if (allowList.length === 0 && c.OIDC_TENANT_CLAIM === undefined) {
    throw new ConfigError('OIDC_ALLOW_LIST', 'or OIDC_TENANT_CLAIM must be set, or nobody can sign in with OpenID Connect');
  }
  return {
    issuer: issuer as string,
    clientId: clientId as string,
    clientSecret: clientSecret as string,
    scopes: (c.OIDC_SCOPES ?? 'openid profile email').split(/\s+/).filter(Boolean),
    tenantClaim: c.OIDC_TENANT_CLAIM,
    roleClaim: c.OIDC_ROLE_CLAIM,
    allowList,
    trustedEmailIssuers: c.OIDC_TRUSTED_EMAIL_ISSUERS === undefined ? [] : parseIssuerList(c.OIDC_TRUSTED_EMAIL_ISSUERS),
  };
}

/** `https://idp.example.com https://login.example.org/abc/v2.0`: compared with the id_token's `iss` without trailing slashes. */
function parseIssuerList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((issuer) => {
      if (!/^https?:\/\/[^/]+/.test(issuer)) throw new ConfigError('OIDC_TRUSTED_EMAIL_ISSUERS', `${JSON.stringify(issuer)} is not an http(s) issuer URL`);
      return issuer.replace(/\/+$/, '');
    });
}

/** `alice@contoso.com=Contoso:admin; *@contoso.com=Contoso:viewer; oid:1234…=*:admin` */
export function parseAllowList(text: string): AllowListEntry[] {
  return text
    .split(/[;,\n]/)
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf('=');
      const colon = entry.lastIndexOf(':');
      const who = entry.slice(0, eq).trim().toLowerCase();
      const tenant = entry.slice(eq + 1, colon).trim();
      const role = entry.slice(colon + 1).trim().toLowerCase();
      if (eq <= 0 || colon <= eq + 1 || !who || !tenant || (role !== 'viewer' && role !== 'admin')) {
        throw new ConfigError('OIDC_ALLOW_LIST', `entry ${JSON.stringify(entry)} must look like who=tenant:viewer or who=tenant:admin`);
      }
      return { who, tenant, role };
    });
}

function ncentralAllowedHosts(text: string | undefined): AllowedHosts {
  if (text === undefined) return PUBLIC_ONLY;
  const parsed = parseAllowedHosts(text);
  if (!parsed.ok) throw new ConfigError('NCENTRAL_ALLOWED_HOSTS', `entry ${JSON.stringify(parsed.entry)} ${parsed.reason}`);
  return parsed.value;
}

/** proxy-addr's names for the private ranges, accepted beside addresses and CIDR ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * `false`, `true`, or `10.0.0.0/8, 127.0.0.1, loopback`: every entry is checked here, so a typo stops the boot
 * instead of silently trusting nobody (or everybody).
 */
export function parseTrustProxy(text: string): boolean | string[] {
  const value = text.trim();
  if (value === 'false') return false;
  if (value === 'true') return true;
  const entries = value.split(',').map((e) => e.trim());
  for (const entry of entries) {
    if (!isProxyEntry(entry)) {
      throw new ConfigError(
        'TRUST_PROXY',
        `entry ${JSON.stringify(entry)} must be an IP address, a CIDR range (10.0.0.0/8), loopback, linklocal or uniquelocal; or set "true" or "false" alone`,
      );
    }
  }
  return entries;
}

function isProxyEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  if (slash < 0) return true;
  const prefix = entry.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function decodeKey(variable: string, text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new ConfigError(variable, 'must decode to exactly 32 bytes');
  return key;
}

function previousKey(c: RawConfig): Buffer | undefined {
  if (c.ENCRYPTION_KEY_PREVIOUS === undefined) return undefined;
  const previous = decodeKey('ENCRYPTION_KEY_PREVIOUS', c.ENCRYPTION_KEY_PREVIOUS);
  if (c.ENCRYPTION_KEY !== undefined && previous.equals(decodeKey('ENCRYPTION_KEY', c.ENCRYPTION_KEY))) {
    throw new ConfigError('ENCRYPTION_KEY_PREVIOUS', 'is the same key as ENCRYPTION_KEY; set it to the old key when rotating, else leave it unset');
  }
  return previous;
}

/** The names of every variable the schema knows, for the README check. */
export const configVariableNames = (): string[] => Object.keys(ConfigSchema.properties);
