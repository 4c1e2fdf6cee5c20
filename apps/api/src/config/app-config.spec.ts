import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { CONFIG_VARIABLES, ConfigError, EnvironmentVariables, loadConfig } from './app-config';
import { iceServersFor, turnCredentials } from './ice-servers';

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'confer-config-')), name);
  writeFileSync(file, text);
  return file;
}

const base = { JWT_SECRET: 'a-secret-of-sixteen+' };

describe('loadConfig', () => {
  it('has documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      media: { listenIp: '127.0.0.1', minPort: 40000, maxPort: 49999, logLevel: 'warn', iceServers: [] },
      auth: { devTokens: false, timeoutMs: 5000 },
    });
    expect(config.limits.maxMessageBytes).toBeGreaterThan(config.limits.fileChunkBytes);
  });

  it('documents every variable it reads', () => {
    const declared = Object.keys(new EnvironmentVariables());
    const documented = CONFIG_VARIABLES.map((v) => v.name);
    for (const name of declared) expect(documented).toContain(name);
  });

  it('documents the defaults it applies', () => {
    const actual = new EnvironmentVariables() as unknown as Record<string, unknown>;
    for (const v of CONFIG_VARIABLES) {
      if (v.default.startsWith('(') || v.default === 'CPU count') continue;
      expect([v.name, JSON.stringify(actual[v.name])]).toEqual([v.name, /^[[{]/.test(v.default) ? v.default : JSON.stringify(/^\d+$/.test(v.default) ? Number(v.default) : v.default === 'false' ? false : v.default)]);
    }
  });

  it('says once that a number is expected, not every range it would also miss', () => {
    let message = '';
    try {
      loadConfig({ ...base, PORT: 'abc' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('invalid configuration:\n  PORT="abc": PORT must be an integer number');
    expect(() => loadConfig({ ...base, PORT: '70000' })).toThrow(/PORT=70000: PORT must not be greater than 65535/);
  });

  it('takes an executable MEDIASOUP_WORKER_BIN and NODE_ENV=development', () => {
    const config = loadConfig({ ...base, MEDIASOUP_WORKER_BIN: process.execPath, NODE_ENV: 'development' });
    expect(config.media.workerBin).toBe(process.execPath);
    expect(config.development).toBe(true);
    expect(loadConfig(base).development).toBe(false);
  });

  it.each([
    [{ RTC_LISTEN_IP: '0.0.0.0' }, /RTC_LISTEN_IP=0.0.0.0 needs RTC_ANNOUNCED_ADDRESS/],
    [{ PORT: 'abc' }, /PORT="abc"/],
    [{ RTC_LISTEN_IP: 'localhost' }, /RTC_LISTEN_IP/],
    [{ MEDIASOUP_LOG_LEVEL: 'loud' }, /MEDIASOUP_LOG_LEVEL/],
    [{ RTC_MIN_PORT: '50000', RTC_MAX_PORT: '40000' }, /RTC_MIN_PORT=50000 is above RTC_MAX_PORT=40000/],
    [{ ICE_SERVERS: '[{"url":"stun:x"}]' }, /ICE_SERVERS/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET=\(hidden\)/],
    [{ DEV_TOKENS: 'maybe' }, /DEV_TOKENS/],
    [{ MAX_MESSAGE_BYTES: '2000' }, /MAX_MESSAGE_BYTES=2000 cannot carry/],
    [{ SHUTDOWN_DRAIN_MS: '-1' }, /SHUTDOWN_DRAIN_MS=-1/],
    [{ ALLOWED_ORIGINS: 'https://ok.example.com,portal.example.com/path' }, /ALLOWED_ORIGINS: "portal.example.com\/path"/],
    [{ TURN_URLS: 'turn:turn.example.com:3478' }, /TURN_URLS needs TURN_SHARED_SECRET/],
    [{ TURN_URLS: 'stun:x', TURN_SHARED_SECRET: 'secret-123' }, /TURN_URLS: "stun:x"/],
    [{ TURN_SHARED_SECRET: 'secret-123' }, /TURN_SHARED_SECRET is set but TURN_URLS is empty/],
    [{ TURN_URLS: 'turn:t', TURN_SHARED_SECRET: 'secret-123', TURN_CREDENTIAL_TTL_S: '5' }, /TURN_CREDENTIAL_TTL_S=5/],
    [{ MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker' }, /MEDIASOUP_WORKER_BIN="\/nonexistent\/mediasoup-worker": not an executable file/],
    [{ MEDIASOUP_WORKER_BIN: '/tmp' }, /MEDIASOUP_WORKER_BIN="\/tmp": not an executable file/],
  ])('names the bad variable: %j', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it('needs a way to verify tokens', () => {
    expect(() => loadConfig({})).toThrow(/JWT_SECRET or JWT_JWKS_URL/);
    expect(loadConfig({ JWT_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json' }).auth.jwksUrl).toContain('jwks');
  });

  it('generates a dev secret when DEV_TOKENS is on without JWT_SECRET', () => {
    const config = loadConfig({ DEV_TOKENS: 'true' }, () => 'generated-secret-xyz');
    expect(config.auth).toMatchObject({ devTokens: true, generatedSecret: true, jwtSecret: 'generated-secret-xyz' });
  });

  it('parses ICE_SERVERS and WEBRTC_SERVER_PORT', () => {
    const config = loadConfig({ ...base, ICE_SERVERS: '[{"urls":["stun:stun.example.com"]}]', WEBRTC_SERVER_PORT: '44444' });
    expect(config.media.iceServers).toEqual([{ urls: ['stun:stun.example.com'] }]);
    expect(config.media.webRtcServerPort).toBe(44444);
  });

  it('reads CONFIG_FILE (JSON or .env); the environment wins; a bad value in the file is named', () => {
    const json = tempFile('confer.json', JSON.stringify({ PORT: 4000, SHUTDOWN_DRAIN_MS: 2500, ALLOWED_ORIGINS: 'https://portal.example.com' }));
    const fromJson = loadConfig({ ...base, CONFIG_FILE: json, PORT: '5000' });
    expect(fromJson).toMatchObject({ port: 5000, shutdownDrainMs: 2500, allowedOrigins: ['https://portal.example.com'] });
    const dotenv = tempFile('confer.env', '# comment\nexport MAX_PEERS_PER_ROOM=7\nJWT_ISSUER="https://idp.example.com"\n');
    expect(loadConfig({ ...base, CONFIG_FILE: dotenv })).toMatchObject({ limits: { maxPeersPerRoom: 7 }, auth: { issuer: 'https://idp.example.com' } });
    expect(() => loadConfig({ ...base, CONFIG_FILE: tempFile('bad.env', 'MAX_PEERS_PER_ROOM=lots\n') })).toThrow(/MAX_PEERS_PER_ROOM="lots"/);
    expect(() => loadConfig({ ...base, CONFIG_FILE: tempFile('typo.env', 'MAX_PEER_PER_ROOM=3\n') })).toThrow(/unknown variable\(s\) MAX_PEER_PER_ROOM/);
    expect(() => loadConfig({ ...base, CONFIG_FILE: '/nonexistent/confer.env' })).toThrow(/CONFIG_FILE="\/nonexistent\/confer.env": cannot be read/);
    expect(() => loadConfig({ ...base, CONFIG_FILE: tempFile('broken.json', '{ "PORT": ') })).toThrow(/CONFIG_FILE=.*invalid JSON/);
  });

  it('allowed origins: same origin only by default, the web dev server in development, or *', () => {
    expect(loadConfig(base).allowedOrigins).toEqual([]);
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).allowedOrigins).toEqual(['http://127.0.0.1:4200', 'http://localhost:4200']);
    expect(loadConfig({ ...base, ALLOWED_ORIGINS: '*' }).allowedOrigins).toBe('*');
    expect(loadConfig({ ...base, ALLOWED_ORIGINS: 'https://a.example.com, https://b.example.com:8443' }).allowedOrigins).toEqual(['https://a.example.com', 'https://b.example.com:8443']);
  });

  it('TURN: time-limited credentials in the coturn REST scheme, appended to ICE_SERVERS', () => {
    const config = loadConfig({ ...base, ICE_SERVERS: '[{"urls":"stun:stun.example.com"}]', TURN_URLS: 'turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349', TURN_SHARED_SECRET: 'coturn-secret', TURN_CREDENTIAL_TTL_S: '3600' });
    expect(config.media.turn).toEqual({ urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'], sharedSecret: 'coturn-secret', ttlSeconds: 3600 });
    const now = Date.UTC(2026, 0, 1);
    const servers = iceServersFor(config.media, 'alice', now);
    const expiry = now / 1000 + 3600;
    expect(servers).toEqual([
      { urls: 'stun:stun.example.com' },
      { urls: config.media.turn?.urls, username: `${expiry}:alice`, credential: createHmac('sha1', 'coturn-secret').update(`${expiry}:alice`).digest('base64') },
    ]);
    // A known vector: coturn's turnutils_secret-style computation.
    expect(turnCredentials('north', 'bob', 60, 1_000_000_000_000)).toEqual({ username: '1000000060:bob', credential: createHmac('sha1', 'north').update('1000000060:bob').digest('base64') });
    expect(iceServersFor(loadConfig(base).media, 'alice')).toEqual([]);
  });
});
