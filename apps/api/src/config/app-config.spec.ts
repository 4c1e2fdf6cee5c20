import { CONFIG_VARIABLES, ConfigError, EnvironmentVariables, loadConfig } from './app-config';

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
    const documented = CONFIG_VARIABLES.map((v) => v.name).filter((n) => n !== 'MEDIASOUP_WORKER_BIN');
    for (const name of declared) expect(documented).toContain(name);
  });

  it('documents the defaults it applies', () => {
    const actual = new EnvironmentVariables() as unknown as Record<string, unknown>;
    for (const v of CONFIG_VARIABLES) {
      if (v.default.startsWith('(') || v.default === 'CPU count') continue;
      expect([v.name, JSON.stringify(actual[v.name])]).toEqual([v.name, /^[[{]/.test(v.default) ? v.default : JSON.stringify(/^\d+$/.test(v.default) ? Number(v.default) : v.default === 'false' ? false : v.default)]);
    }
  });

  it.each([
    [{ RTC_LISTEN_IP: '0.0.0.0' }, /RTC_LISTEN_IP=0.0.0.0 needs RTC_ANNOUNCED_ADDRESS/],
    [{ PORT: 'abc' }, /PORT="abc"/],
    [{ RTC_LISTEN_IP: 'localhost' }, /RTC_LISTEN_IP/],
    [{ MEDIASOUP_LOG_LEVEL: 'loud' }, /MEDIASOUP_LOG_LEVEL/],
    [{ RTC_MIN_PORT: '50000', RTC_MAX_PORT: '40000' }, /RTC_MIN_PORT=50000 is above RTC_MAX_PORT=40000/],
    [{ ICE_SERVERS: '[{"url":"stun:x"}]' }, /ICE_SERVERS/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET/],
    [{ DEV_TOKENS: 'maybe' }, /DEV_TOKENS/],
    [{ MAX_MESSAGE_BYTES: '2000' }, /MAX_MESSAGE_BYTES=2000 cannot carry/],
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
});
