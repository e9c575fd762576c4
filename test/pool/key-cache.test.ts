import { describe, expect, it } from 'vitest';
import { KeyCache } from '../../src/pool/keys.js';

describe('the cache of verified keys', () => {
  const principal = { keyId: 7n, keyPrefix: '0badc0de', role: 'auditor' as const, poolId: 1n, participantId: null };
  const key = `plk_0badc0de_${'S'.repeat(32)}`;

  it('finds a key it verified, and no other', () => {
    const cache = new KeyCache();
    cache.put(key, principal);
    expect(cache.get(key)).toEqual(principal);
    expect(cache.get(`plk_0badc0de_${'T'.repeat(32)}`)).toBeUndefined();
  });

  it("keeps no secret: it is looked up by the key's hash", () => {
    const cache = new KeyCache();
    cache.put(key, principal);
    const held = JSON.stringify([...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()]);
    expect(held).not.toContain('S'.repeat(32));
  });

  it('forgets a revoked key at once', () => {
    const cache = new KeyCache();
    cache.put(key, principal);
    cache.forget(principal.keyId);
    expect(cache.get(key)).toBeUndefined();
    cache.put(key, principal);
    expect(cache.get(key)).toBeUndefined();
  });
});
