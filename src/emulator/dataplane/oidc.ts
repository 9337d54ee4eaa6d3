/**
 * The emulator's stand-in for Google's OIDC issuer: one RS256 signing key per emulator
 * world, the ID tokens Pub/Sub push attaches (iss https://accounts.google.com, aud, email,
 * email_verified), and the JWKS a receiver verifies them against — served by the emulator
 * at GET /__emulator/oauth2/v3/certs, the path Google serves its own keys at.
 *
 * The private key lives in the emulator's data directory so tokens keep verifying across
 * an emulator restart with --state; it is never logged or served.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { ControlRoute } from './types.js';

export const JWKS_PATH = '/oauth2/v3/certs';
export const GOOGLE_ISSUER = 'https://accounts.google.com';
const ALG = 'RS256';

export interface IdTokenClaims {
  audience: string;
  email: string;
  /** Token lifetime (Google's ID tokens last an hour). */
  ttlSeconds?: number;
}

export class EmulatorOidc {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
  ) {}

  /** Loads the key from `keyFile`, or makes one and stores it there (0600). */
  static async open(keyFile: string): Promise<EmulatorOidc> {
    try {
      const stored = JSON.parse(await readFile(keyFile, 'utf8')) as JWK;
      const privateKey = (await importJWK(stored, ALG)) as CryptoKey;
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = stored;
      return new EmulatorOidc(privateKey, pub);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const { privateKey, publicKey } = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
    const kid = randomUUID();
    const pub: JWK = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    const priv: JWK = { ...(await exportJWK(privateKey)), kid, alg: ALG, use: 'sig' };
    await mkdir(dirname(keyFile), { recursive: true });
    await writeFile(keyFile, JSON.stringify(priv), { mode: 0o600 });
    return new EmulatorOidc(privateKey, pub);
  }

  static keyFileIn(dataDir: string): string {
    return join(dataDir, 'dataplane', 'oidc-signing-key.json');
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** A Google-shaped ID token for a service account (what Pub/Sub push's oidcToken yields). */
  async idToken(c: IdTokenClaims): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    // Google puts the service account's unique id in sub/azp; a stable digit string derived from the email stands in.
    const sub = BigInt(`0x${Buffer.from(c.email).toString('hex').slice(0, 15) || '0'}`).toString().padStart(21, '1').slice(0, 21);
    return new SignJWT({ email: c.email, email_verified: true, azp: sub })
      .setProtectedHeader({ alg: ALG, kid: this.publicJwk.kid!, typ: 'JWT' })
      .setIssuer(GOOGLE_ISSUER)
      .setAudience(c.audience)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + (c.ttlSeconds ?? 3600))
      .sign(this.privateKey);
  }

  route(): ControlRoute {
    return {
      method: 'GET',
      path: JWKS_PATH,
      handler: () => ({ body: this.jwks(), headers: { 'Cache-Control': 'public, max-age=300' } }),
    };
  }
}
