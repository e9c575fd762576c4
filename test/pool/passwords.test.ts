import { scryptAsync } from '@noble/hashes/scrypt.js';
import { expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from '../../src/pool/passwords.js';

/** Passwords: Node's scrypt and the Worker's (@noble/hashes) give the same bytes, so a hash made on one checks on the other. */
it('hashes so that the Worker, with @noble/hashes, checks what Node made, and refuses another password', async () => {
  const stored = await hashPassword('correct horse battery staple');
  expect(stored).toMatch(/^scrypt\$32768\$8\$3\$/);
  const [, n, r, p, salt, hash] = stored.split('$');
  const noble = await scryptAsync('correct horse battery staple', Buffer.from(salt!, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    dkLen: 32,
  });
  expect(Buffer.from(noble).toString('base64')).toBe(hash);
  expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
  expect(await verifyPassword('correct horse battery stapler', stored)).toBe(false);
});

it('takes long passphrases and refuses short, common or personal ones', () => {
  const who = { login: 'li.na', name: '李娜' };
  expect(passwordProblem('correct horse battery staple', who)).toBeNull();
  expect(passwordProblem('short', who)).toMatch(/at least 12/);
  expect(passwordProblem('my-password-is-long', who)).toMatch(/tried first/);
  expect(passwordProblem('li.na-forever-2026', who)).toMatch(/login or the name/);
  expect(passwordProblem('aaaaaaaaaaaaaaaa', who)).toMatch(/tried first/);
});
