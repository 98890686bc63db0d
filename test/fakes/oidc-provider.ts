import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A small OpenID provider for tests (OpenID Connect Core 1.0, Discovery 1.0): discovery, an authorize endpoint that
 * signs in whoever the test chose and redirects back with a code, a token endpoint checking the client secret,
 * redirect_uri and PKCE verifier (RFC 7636 §4.6) and issuing an ES256 id_token with the nonce, and the JWKS.
 * `misbehave` makes it issue a bad id_token the relying party must refuse.
 */
export interface FakeOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Claims of the person the next authorize request signs in (besides iss/aud/exp/iat/nonce). */
  signInAs(claims: Record<string, unknown>): void;
  misbehave(how: 'none' | 'wrong-nonce' | 'foreign-signature' | 'wrong-audience' | 'expired'): void;
  /** Every authorize request's query, for assertions on PKCE and nonce. */
  authorizeRequests: URLSearchParams[];
  close(): Promise<void>;
}

interface PendingCode {
  claims: Record<string, unknown>;
  nonce: string | null;
  redirectUri: string;
  challenge: string | null;
}

export async function startFakeOidcProvider(options: { now?: () => Date; clientId?: string; clientSecret?: string } = {}): Promise<FakeOidcProvider> {
  const now = options.now ?? (() => new Date());
  const clientId = options.clientId ?? 'console-client';
  const clientSecret = options.clientSecret ?? randomBytes(16).toString('hex');
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const foreign = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'fake-1', alg: 'ES256', use: 'sig' };
  const codes = new Map<string, PendingCode>();
  let person: Record<string, unknown> = { sub: 'person-1', email: 'alice@contoso.example' };
  let mode: Parameters<FakeOidcProvider['misbehave']>[0] = 'none';
  const authorizeRequests: URLSearchParams[] = [];
  let issuer = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const idToken = async (code: PendingCode): Promise<string> => {
    const iat = Math.floor(now().getTime() / 1000) - (mode === 'expired' ? 7200 : 0);
    const key: CryptoKey = mode === 'foreign-signature' ? foreign.privateKey : privateKey;
    return new SignJWT({ ...code.claims, nonce: mode === 'wrong-nonce' ? 'not-the-nonce' : code.nonce ?? undefined })
      .setProtectedHeader({ alg: 'ES256', kid: 'fake-1', typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(mode === 'wrong-audience' ? 'someone-else' : clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(key);
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
        return send(res, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['ES256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        });
      }
      if (req.method === 'GET' && url.pathname === '/jwks') return send(res, 200, { keys: [jwk] });
      if (req.method === 'GET' && url.pathname === '/authorize') {
        const q = url.searchParams;
        authorizeRequests.push(q);
        const redirectUri = q.get('redirect_uri');
        if (q.get('client_id') !== clientId || !redirectUri || q.get('response_type') !== 'code') {
          return send(res, 400, { error: 'invalid_request' });
        }
        const code = randomBytes(16).toString('hex');
        codes.set(code, { claims: { ...person }, nonce: q.get('nonce'), redirectUri, challenge: q.get('code_challenge') });
        const back = new URL(redirectUri);
        back.searchParams.set('code', code);
        const state = q.get('state');
        if (state !== null) back.searchParams.set('state', state);
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      if (req.method === 'POST' && url.pathname === '/token') {
        const form = new URLSearchParams(await readBody(req));
        let id = form.get('client_id');
        let secret = form.get('client_secret');
        const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
        if (basic?.[1]) {
          const [u, p] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
          id = decodeURIComponent(u ?? '');
          secret = decodeURIComponent(p ?? '');
        }
        if (id !== clientId || secret !== clientSecret) return send(res, 401, { error: 'invalid_client' });
        const code = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (!code || form.get('grant_type') !== 'authorization_code' || form.get('redirect_uri') !== code.redirectUri) {
          return send(res, 400, { error: 'invalid_grant' });
        }
        const verifier = form.get('code_verifier') ?? '';
        if (!code.challenge || createHash('sha256').update(verifier).digest('base64url') !== code.challenge) {
          return send(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
        }
        return send(res, 200, {
          access_token: randomBytes(16).toString('hex'),
          token_type: 'Bearer',
          expires_in: 3600,
          id_token: await idToken(code),
        });
      }
      return send(res, 404, { error: 'not_found' });
    })().catch((err: unknown) => send(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (claims) => {
      person = claims;
    },
    misbehave: (how) => {
      mode = how;
    },
    authorizeRequests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
