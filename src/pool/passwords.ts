import { scrypt as nodeScrypt, timingSafeEqual } from 'node:crypto';
import { scryptAsync } from '@noble/hashes/scrypt.js';

/**
 * Passwords, hashed with scrypt (memory-hard) from @noble/hashes: audited, kept, pure JavaScript, so the
 * Node server and the Worker hash and check the same way (node:crypto's scrypt is not on Workers). The
 * parameters are OWASP's third scrypt choice, N=2^15 (32 MiB), r=8, p=3: the Worker's 128 MB isolate holds
 * it, and a check costs about 0.4 s of one core here, which is what slows a guesser down. Stored as
 * `scrypt$N$r$p$<salt>$<hash>` (base64), so the parameters can be raised later and old hashes still check.
 * scrypt is one function: on Node the same bytes come from node:crypto, off the event loop (libuv's
 * threads), so sign-ins do not stall every other request; on Workers, from @noble/hashes.
 */
const onWorkers = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers';

function derive(password: string, salt: Uint8Array, o: { N: number; r: number; p: number; dkLen: number }) {
  if (onWorkers) return scryptAsync(password, salt, o);
  return new Promise<Uint8Array>((resolve, reject) =>
    nodeScrypt(
      password,
      salt,
      o.dkLen,
      { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))),
    ),
  );
}
const N = 2 ** 15;
const R = 8;
const P = 3;
const DK_LEN = 32;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password.normalize('NFC'), salt, { N, r: R, p: P, dkLen: DK_LEN });
  return `scrypt$${N}$${R}$${P}$${b64(salt)}$${b64(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const got = await derive(password.normalize('NFC'), salt, { N: n, r, p, dkLen: expected.length });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** A hash to check against when the account does not exist: the answer takes as long either way. */
export const NO_ACCOUNT_HASH = `scrypt$${N}$${R}$${P}$${b64(new Uint8Array(16))}$${b64(new Uint8Array(DK_LEN))}`;

/**
 * The password policy (NIST SP 800-63B): at least 12 characters and at most 200; not the login or the
 * name; not one of the passwords everyone tries first. No rules on character classes, which lead people to
 * `Password1!`. Returns what is wrong, or null.
 */
export function passwordProblem(password: string, person: { login: string; name: string }): string | null {
  const length = [...password].length;
  if (length < 12) return 'a password has at least 12 characters';
  if (length > 200) return 'a password has at most 200 characters';
  const lower = password.toLowerCase();
  if (
    lower.includes(person.login.toLowerCase()) ||
    (person.name.length >= 3 && lower.includes(person.name.toLowerCase()))
  )
    return 'a password may not contain the login or the name';
  if (COMMON.some((c) => lower.includes(c)) || new Set(password).size < 4)
    return 'this password is among those tried first: choose another';
  return null;
}

const COMMON = ['password', '123456', 'qwerty', 'abc123', '111111', 'iloveyou', 'admin', 'welcome', 'letmein'];

/** A one-time password: 16 characters of an alphabet without look-alikes, 80 bits. */
export function oneTimePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]!);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4, 8).join('')}-${chars.slice(8, 12).join('')}-${chars.slice(12).join('')}`;
}
