import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fakeBackend } from './support/backends';
import { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

describe('HTTP endpoints', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('POST /api/dev/token is off unless DEV_TOKENS is on', async () => {
    server = await TestServer.start(fakeBackend);
    const res = await fetch(`${server.httpUrl}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ displayName: 'Ada', roomId: 'r' }) });
    expect(res.status).toBe(404);
  });

  it('POST /api/dev/token issues a token that authenticates with every grant for one room', async () => {
    server = await TestServer.start(fakeBackend, { DEV_TOKENS: 'true' });
    const post = (body: unknown): Promise<Response> =>
      fetch(`${server?.httpUrl}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ displayName: '', roomId: 'bad room' })).status).toBe(400);
    const res = await post({ displayName: 'Ada', roomId: 'standup' });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const client = await TestClient.authenticated(server.url, token);
    expect(client.auth).toMatchObject({ displayName: 'Ada', rooms: ['standup'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: true } });
    await client.close();
  });

  it('GET /health and /api/health report media availability', async () => {
    server = await TestServer.start(null);
    expect((await fetch(`${server.httpUrl}/health`)).status).toBe(200);
    const health = (await (await fetch(`${server.httpUrl}/api/health`)).json()) as { status: string; mediaAvailable: boolean; media: string };
    expect(health).toMatchObject({ status: 'ok', mediaAvailable: false });
    expect(health.media).toMatch(/no mediasoup media worker/);
  });

  it('GET /metrics exposes Prometheus metrics, including signaling requests by outcome', async () => {
    server = await TestServer.start(fakeBackend);
    const alice = await server.client('alice');
    await alice.requestError('chatMessage', { text: 'not joined yet' });
    await alice.request('getRouterRtpCapabilities', { roomId: 'r' });
    const res = await fetch(`${server.httpUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/confer_rooms 1/);
    expect(text).toMatch(/confer_peers 1/);
    expect(text).toMatch(/confer_signaling_requests_total\{method="authenticate",outcome="ok"\} 1/);
    expect(text).toMatch(/confer_signaling_requests_total\{method="chatMessage",outcome="invalid_state"\} 1/);
    await alice.close();
  });

  it('WEB_ROOT serves the web app with SPA fallback, but not for /api or /ws', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'confer-web-'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Confer</title>');
    writeFileSync(path.join(root, 'main.js'), 'console.log(1)');
    server = await TestServer.start(fakeBackend, { WEB_ROOT: root });
    const get = (p: string): Promise<Response> => fetch(`${server?.httpUrl}${p}`, { headers: { accept: 'text/html' } });
    expect(await (await get('/')).text()).toContain('<title>Confer</title>');
    expect(await (await get('/main.js')).text()).toBe('console.log(1)');
    expect(await (await get('/room/standup')).text()).toContain('<title>Confer</title>');
    expect((await get('/api/nothing')).status).toBe(404);
  });
});
