import { DefaultIdentityMapper } from '../policies/identity-mapper';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { loadConfig } from '../config/app-config';
import { AuthService } from './auth.service';

describe('AuthService', () => {
  describe('HS256', () => {
    const auth = new AuthService(loadConfig({ JWT_SECRET: 'hs256-secret-0123456789', JWT_ISSUER: 'portal', JWT_AUDIENCE: 'confer' }), new DefaultIdentityMapper());

    it('reads subject, name, rooms and grants; absent grants are false; no role claim: participant', async () => {
      const token = await auth.sign({ sub: 'u1', name: 'Ada', rooms: ['r1', 'r2'], grants: { canPublish: true } });
      expect(await auth.verify(token)).toEqual({
        subject: 'u1',
        displayName: 'Ada',
        rooms: ['r1', 'r2'],
        grants: { canPublish: true, canSubscribe: false, canPublishData: false, roomAdmin: false, canBypassLobby: false },
        role: 'participant',
      });
    });

    it('reads the role claim; without it roomAdmin makes a host; an unknown role is a participant', async () => {
      expect(await auth.verify(await auth.sign({ sub: 'm', role: 'moderator' }))).toMatchObject({ role: 'moderator' });
      expect(await auth.verify(await auth.sign({ sub: 'v', role: 'viewer', grants: { canBypassLobby: true } }))).toMatchObject({ role: 'viewer', grants: { canBypassLobby: true } });
      expect(await auth.verify(await auth.sign({ sub: 'h', grants: { roomAdmin: true } }))).toMatchObject({ role: 'host' });
      expect(await auth.verify(await auth.sign({ sub: 'x', role: 'emperor' as never }))).toMatchObject({ role: 'participant' });
    });

    it('checks issuer and audience', async () => {
      const other = new AuthService(loadConfig({ JWT_SECRET: 'hs256-secret-0123456789', JWT_ISSUER: 'someone-else' }), new DefaultIdentityMapper());
      const token = await other.sign({ sub: 'u1' });
      await expect(auth.verify(token)).rejects.toMatchObject({ code: 'unauthenticated' });
    });

    it('refuses tokens without a subject, and RS256 when no JWKS is configured', async () => {
      await expect(auth.verify(await auth.sign({ name: 'x' }))).rejects.toMatchObject({ code: 'unauthenticated', reason: expect.stringMatching(/no subject/) });
      const { privateKey } = await generateKeyPair('RS256');
      const rs = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(privateKey);
      await expect(auth.verify(rs)).rejects.toMatchObject({ code: 'unauthenticated', reason: expect.stringMatching(/RS256 are not accepted/) });
    });

    it('issues dev tokens only when DEV_TOKENS is on', async () => {
      await expect(auth.issueDevToken('Ada', 'r1')).rejects.toMatchObject({ code: 'forbidden' });
      const dev = new AuthService(loadConfig({ DEV_TOKENS: 'true' }), new DefaultIdentityMapper());
      const identity = await dev.verify(await dev.issueDevToken('Ada', 'r1'));
      expect(identity).toMatchObject({ displayName: 'Ada', rooms: ['r1'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: true } });
      expect(identity.subject).toMatch(/^dev-/);
    });
  });

  describe('RS256 / ES256 against a JWKS URL', () => {
    let server: Server;
    let url: string;
    const keys: { alg: 'RS256' | 'ES256'; privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']; kid: string }[] = [];

    beforeAll(async () => {
      const jwks = { keys: [] as object[] };
      for (const alg of ['RS256', 'ES256'] as const) {
        const { publicKey, privateKey } = await generateKeyPair(alg);
        const kid = `${alg}-key`;
        jwks.keys.push({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' });
        keys.push({ alg, privateKey, kid });
      }
      server = createServer((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(jwks));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });

    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it.each(['RS256', 'ES256'] as const)('verifies %s tokens from the identity provider', async (alg) => {
      const auth = new AuthService(loadConfig({ JWT_JWKS_URL: url }), new DefaultIdentityMapper());
      const key = keys.find((k) => k.alg === alg);
      if (!key) throw new Error('no key');
      const token = await new SignJWT({ sub: 'portal-user', name: 'Grace', rooms: ['*'], grants: { canSubscribe: true } })
        .setProtectedHeader({ alg, kid: key.kid })
        .setExpirationTime('5m')
        .sign(key.privateKey);
      expect(await auth.verify(token)).toMatchObject({ subject: 'portal-user', displayName: 'Grace', rooms: ['*'], grants: { canSubscribe: true, canPublish: false } });
    });

    it('refuses a token signed by another key', async () => {
      const auth = new AuthService(loadConfig({ JWT_JWKS_URL: url }), new DefaultIdentityMapper());
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid: 'ES256-key' }).setExpirationTime('5m').sign(privateKey);
      await expect(auth.verify(token)).rejects.toMatchObject({ code: 'unauthenticated' });
    });
  });
});
