import { createAccount, createOperator, createUser, fromPublic, type KeyPair } from '@nats-io/nkeys';
import { jwtAuthenticator } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { natsCreds } from './nats.js';
import { NkeyError, natsJwtAuthenticator, nkeySigner, parseNatsCreds } from './nkey.js';

const seedOf = (kp: KeyPair) => new TextDecoder().decode(kp.getSeed());

describe('nkeySigner (Ed25519 through node:crypto)', () => {
  it('works out the same public key and the same signatures as @nats-io/nkeys, for every role', () => {
    for (const kp of [createUser(), createAccount(), createOperator()]) {
      const s = nkeySigner(seedOf(kp));
      expect(s.publicKey).toBe(kp.getPublicKey());
      for (const text of ['', 'nonce-123', 'x'.repeat(5000)]) {
        const data = new TextEncoder().encode(text);
        const sig = s.sign(data);
        expect(Buffer.from(sig).equals(Buffer.from(kp.sign(data)))).toBe(true);
        expect(fromPublic(kp.getPublicKey()).verify(data, sig)).toBe(true);
      }
    }
  });

  it('refuses what is not a seed, naming what is wrong', () => {
    const user = createUser();
    const seed = seedOf(user);
    expect(() => nkeySigner(user.getPublicKey())).toThrow(NkeyError);
    expect(() => nkeySigner('')).toThrow(/not an nkey seed/);
    expect(() => nkeySigner('not base32!')).toThrow(/not an nkey seed/);
    // One letter changed: the checksum catches it.
    const damaged = seed.slice(0, 10) + (seed[10] === 'A' ? 'B' : 'A') + seed.slice(11);
    expect(() => nkeySigner(damaged)).toThrow(/checksum does not match/);
    // Surrounding whitespace (a seed read from a file) is fine.
    expect(nkeySigner(`  ${seed}\n`).publicKey).toBe(user.getPublicKey());
  });
});

describe('NATS user JWT authentication', () => {
  it('answers a nonce as nats.js jwtAuthenticator does', () => {
    const user = createUser();
    const ours = natsJwtAuthenticator('the.jwt.here', seedOf(user));
    const theirs = jwtAuthenticator('the.jwt.here', user.getSeed());
    expect(ours('AbC123nonce')).toEqual(theirs('AbC123nonce'));
    expect(ours()).toEqual({ jwt: 'the.jwt.here', nkey: user.getPublicKey(), sig: '' });
  });

  it('reads the JWT and seed of a .creds file and refuses anything else by name', () => {
    const user = createUser();
    const creds = natsCreds('eyJ0.eyJ1.c2ln', seedOf(user));
    expect(parseNatsCreds(creds, 'nats.creds')).toEqual({ jwt: 'eyJ0.eyJ1.c2ln', seed: seedOf(user) });
    expect(parseNatsCreds(creds.replace(/\n/g, '\r\n'), 'nats.creds').seed).toBe(seedOf(user));
    expect(() => parseNatsCreds('', '/etc/flotilla/nats.creds')).toThrow(
      /\/etc\/flotilla\/nats.creds is not a NATS .creds file/,
    );
    expect(() => parseNatsCreds(natsCreds('eyJ0.eyJ1.c2ln', user.getPublicKey()), 'nats.creds')).toThrow(NkeyError);
  });
});
