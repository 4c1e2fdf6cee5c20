import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsIP,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  MinLength,
  validateSync,
  type ValidationError,
} from 'class-validator';
import type { IceServer, ServerLimits } from '@confer/signaling-contracts';

/** One environment variable: its name, default and meaning (the README table is written from this). */
export interface ConfigVariable {
  name: string;
  default: string;
  meaning: string;
}

/** Every variable the API reads, in the order the README documents them. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  { name: 'CONFIG_FILE', default: '(unset)', meaning: 'Optional file with more settings: a JSON object or `.env` lines (`NAME=value`). Environment variables win over the file.' },
  { name: 'HOST', default: '127.0.0.1', meaning: 'Interface the HTTP/WebSocket server listens on.' },
  { name: 'PORT', default: '3000', meaning: 'HTTP/WebSocket port (signaling at `/ws`).' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'pino level: trace, debug, info, warn, error, fatal, silent.' },
  { name: 'WEB_ROOT', default: '(unset)', meaning: 'Serve the built web app from this folder, with SPA fallback to index.html.' },
  { name: 'MEDIASOUP_WORKER_BIN', default: '(resolved)', meaning: 'mediasoup-worker binary (must be an executable file, else the API refuses to start); unset: see "The mediasoup worker" for the search order.' },
  { name: 'MEDIASOUP_NUM_WORKERS', default: 'CPU count', meaning: 'Number of mediasoup workers.' },
  { name: 'MEDIASOUP_LOG_LEVEL', default: 'warn', meaning: 'Worker log level: debug, warn, error, none.' },
  { name: 'RTC_LISTEN_IP', default: '127.0.0.1', meaning: 'IP the workers bind for RTP/ICE.' },
  { name: 'RTC_ANNOUNCED_ADDRESS', default: '(unset)', meaning: 'Public IP or host name announced in ICE candidates (behind NAT).' },
  { name: 'RTC_MIN_PORT', default: '40000', meaning: 'Lowest RTC port of WebRTC transports.' },
  { name: 'RTC_MAX_PORT', default: '49999', meaning: 'Highest RTC port of WebRTC transports.' },
  { name: 'WEBRTC_SERVER_PORT', default: '(unset)', meaning: 'When set, one WebRtcServer per worker on port + worker index (UDP and TCP).' },
  { name: 'MAX_INCOMING_BITRATE', default: '1500000', meaning: 'setMaxIncomingBitrate() on every transport, bits/s (0 = no limit).' },
  { name: 'ROOM_PIPE_CONSUMER_THRESHOLD', default: '0', meaning: 'When a room has more than this many consumers on its main router, new receive transports go to a router of the room on another worker, fed with `pipeToRouter()`; 0 = off (one router per room).' },
  { name: 'ICE_SERVERS', default: '[]', meaning: 'JSON array of RTCIceServer given to clients.' },
  { name: 'TURN_URLS', default: '(unset)', meaning: 'Comma-separated TURN URLs (`turn:host:3478?transport=udp,turns:host:5349`) handed to clients with time-limited credentials; needs TURN_SHARED_SECRET.' },
  { name: 'TURN_SHARED_SECRET', default: '(unset)', meaning: 'Shared secret of the TURN server (coturn `static-auth-secret`): username `<expiry>:<peerId>`, credential base64(HMAC-SHA1(secret, username)).' },
  { name: 'TURN_CREDENTIAL_TTL_S', default: '86400', meaning: 'Lifetime of the TURN credentials given at authenticate, in seconds.' },
  { name: 'ALLOWED_ORIGINS', default: '(same origin)', meaning: 'Comma-separated origins allowed to open the WebSocket and call the HTTP API from a browser, or `*`. Unset: same origin (Origin host = Host header) and clients sending no Origin; with NODE_ENV=development also http://127.0.0.1:4200 and http://localhost:4200.' },
  { name: 'SHUTDOWN_DRAIN_MS', default: '10000', meaning: 'On SIGTERM: stop accepting joins, send `serverShutdown`, and wait up to this long for peers to leave before closing.' },
  { name: 'JWT_SECRET', default: '(unset)', meaning: 'HS256 secret for tokens (at least 16 characters).' },
  { name: 'JWT_JWKS_URL', default: '(unset)', meaning: 'JWKS URL of the identity provider for RS256/ES256 tokens.' },
  { name: 'JWT_ISSUER', default: '(unset)', meaning: 'Required `iss` claim, when set.' },
  { name: 'JWT_AUDIENCE', default: '(unset)', meaning: 'Required `aud` claim, when set.' },
  { name: 'DEV_TOKENS', default: 'false', meaning: 'Enables `POST /api/dev/token` (local use only; never in production).' },
  { name: 'AUTH_TIMEOUT_MS', default: '5000', meaning: 'A socket that has not authenticated by then is closed.' },
  { name: 'RESUME_GRACE_MS', default: '15000', meaning: 'How long a peer whose socket dropped (not closed normally) is kept for `resumeSessionId`; 0 = clean up at once.' },
  { name: 'REQUEST_TIMEOUT_MS', default: '10000', meaning: 'How long the server waits for the answer to its own requests.' },
  { name: 'MAX_MESSAGE_BYTES', default: '131072', meaning: 'Largest signaling message accepted.' },
  { name: 'REQUESTS_PER_SECOND', default: '100', meaning: 'Requests per second per connection.' },
  { name: 'MAX_PEERS_PER_ROOM', default: '50', meaning: 'Peers per room.' },
  { name: 'MAX_PRODUCERS_PER_PEER', default: '8', meaning: 'Producers per peer.' },
  { name: 'MAX_TRANSPORTS_PER_PEER', default: '4', meaning: 'WebRTC transports per peer.' },
  { name: 'MAX_CHAT_LENGTH', default: '2000', meaning: 'Characters per chat message.' },
  { name: 'MAX_FILE_BYTES', default: '26214400', meaning: 'Largest file a transfer may carry.' },
  { name: 'FILE_CHUNK_BYTES', default: '65536', meaning: 'File chunk size before base64.' },
];

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toBool = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' || value === '' ? false : value;
const toJson = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
};

/**
 * The environment as validated at start-up. Property names are the variable
 * names so that a validation message names the variable to fix.
 */
export class EnvironmentVariables {
  @IsOptional() @IsIP() HOST = '127.0.0.1';
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsIn(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) LOG_LEVEL = 'info';
  @IsOptional() @IsString() WEB_ROOT?: string;
  @IsOptional() @IsString() MEDIASOUP_WORKER_BIN?: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(256) MEDIASOUP_NUM_WORKERS = Math.max(1, cpus().length);
  @IsIn(['debug', 'warn', 'error', 'none']) MEDIASOUP_LOG_LEVEL: 'debug' | 'warn' | 'error' | 'none' = 'warn';
  @IsIP() RTC_LISTEN_IP = '127.0.0.1';
  @IsOptional() @IsString() @MinLength(1) RTC_ANNOUNCED_ADDRESS?: string;
  @Transform(toInt) @IsInt() @Min(1024) @Max(65535) RTC_MIN_PORT = 40000;
  @Transform(toInt) @IsInt() @Min(1024) @Max(65535) RTC_MAX_PORT = 49999;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1024) @Max(65535) WEBRTC_SERVER_PORT?: number;
  @Transform(toInt) @IsInt() @Min(0) MAX_INCOMING_BITRATE = 1_500_000;
  @Transform(toInt) @IsInt() @Min(0) ROOM_PIPE_CONSUMER_THRESHOLD = 0;
  // Checked in loadConfig(): class-validator has no "array of RTCIceServer".
  @Transform(toJson) ICE_SERVERS: IceServer[] = [];
  @IsOptional() @IsString() TURN_URLS?: string;
  @IsOptional() @IsString() @MinLength(8) TURN_SHARED_SECRET?: string;
  @Transform(toInt) @IsInt() @Min(60) TURN_CREDENTIAL_TTL_S = 86_400;
  @IsOptional() @IsString() ALLOWED_ORIGINS?: string;
  @Transform(toInt) @IsInt() @Min(0) SHUTDOWN_DRAIN_MS = 10_000;
  @IsOptional() @IsString() @MinLength(16) JWT_SECRET?: string;
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) JWT_JWKS_URL?: string;
  @IsOptional() @IsString() JWT_ISSUER?: string;
  @IsOptional() @IsString() JWT_AUDIENCE?: string;
  @Transform(toBool) @IsBoolean() DEV_TOKENS = false;
  @Transform(toInt) @IsInt() @Min(100) AUTH_TIMEOUT_MS = 5000;
  @Transform(toInt) @IsInt() @Min(0) RESUME_GRACE_MS = 15_000;
  @Transform(toInt) @IsInt() @Min(100) REQUEST_TIMEOUT_MS = 10_000;
  @Transform(toInt) @IsInt() @Min(1024) MAX_MESSAGE_BYTES = 131_072;
  @Transform(toInt) @IsInt() @Min(1) REQUESTS_PER_SECOND = 100;
  @Transform(toInt) @IsInt() @Min(1) MAX_PEERS_PER_ROOM = 50;
  @Transform(toInt) @IsInt() @Min(1) MAX_PRODUCERS_PER_PEER = 8;
  @Transform(toInt) @IsInt() @Min(1) MAX_TRANSPORTS_PER_PEER = 4;
  @Transform(toInt) @IsInt() @Min(1) MAX_CHAT_LENGTH = 2000;
  @Transform(toInt) @IsInt() @Min(1) MAX_FILE_BYTES = 25 * 1024 * 1024;
  @Transform(toInt) @IsInt() @Min(1024) FILE_CHUNK_BYTES = 65_536;
}

/** A start-up configuration error; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The validated configuration the rest of the API reads (never `process.env`). */
export interface AppConfig {
  host: string;
  port: number;
  logLevel: string;
  webRoot?: string;
  /** NODE_ENV=development (`npm start`): clients are told the server-side fix for missing media. */
  development: boolean;
  media: {
    /** MEDIASOUP_WORKER_BIN as configured (checked to be an executable file); unset: resolved by media/worker-bin.ts. */
    workerBin?: string;
    numWorkers: number;
    logLevel: 'debug' | 'warn' | 'error' | 'none';
    listenIp: string;
    announcedAddress?: string;
    minPort: number;
    maxPort: number;
    webRtcServerPort?: number;
    maxIncomingBitrate: number;
    /** Consumers on a room's main router above which new recv transports go to another worker (0: off). */
    pipeConsumerThreshold: number;
    iceServers: IceServer[];
    /** TURN with time-limited credentials (coturn REST scheme), when TURN_URLS and TURN_SHARED_SECRET are set. */
    turn?: { urls: string[]; sharedSecret: string; ttlSeconds: number };
  };
  /**
   * Browser origins allowed on the WebSocket and HTTP API. `'*'`: any. A list:
   * those, plus same-origin requests and clients that send no Origin.
   */
  allowedOrigins: '*' | string[];
  /** How long a SIGTERM waits for peers to leave. */
  shutdownDrainMs: number;
  auth: {
    jwtSecret?: string;
    jwksUrl?: string;
    issuer?: string;
    audience?: string;
    devTokens: boolean;
    /** True when `jwtSecret` was generated because DEV_TOKENS is on and JWT_SECRET unset. */
    generatedSecret: boolean;
    timeoutMs: number;
    /** Peers whose socket dropped are kept this long for a resume (0: cleaned up at once). */
    resumeGraceMs: number;
  };
  requestTimeoutMs: number;
  limits: ServerLimits;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * Constraints that say what kind of value is expected: when one of them fails,
 * it is the only message (`PORT="abc"` is not a number; its range is beside the point).
 */
const TYPE_CONSTRAINTS = ['isInt', 'isBoolean', 'isIn', 'isIp', 'isUrl', 'isString'];

function describe(errors: ValidationError[]): string {
  return errors
    .map((e) => {
      const constraints = e.constraints ?? {};
      const typeFailure = TYPE_CONSTRAINTS.find((c) => c in constraints);
      const messages = typeFailure ? [constraints[typeFailure]] : Object.values(constraints);
      return `${e.property}=${JSON.stringify(e.value)}: ${messages.join('; ')}`;
    })
    .join('\n  ');
}

/** Validates `env` and returns the configuration, or throws {@link ConfigError} naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, randomSecret: () => string = defaultRandomSecret): AppConfig {
  const merged = { ...readConfigFile(env['CONFIG_FILE']), ...withoutEmpty(env) };
  const known = Object.fromEntries(
    CONFIG_VARIABLES.map((v) => v.name)
      .filter((name) => name !== 'CONFIG_FILE' && merged[name] !== undefined && merged[name] !== '')
      .map((name) => [name, merged[name]]),
  );
  const vars = plainToInstance(EnvironmentVariables, known);
  const errors = validateSync(vars, { skipMissingProperties: false });
  const problems: string[] = errors.length ? [describe(errors)] : [];
  if (!isIceServerList(vars.ICE_SERVERS)) problems.push(`ICE_SERVERS: must be a JSON array of {urls, username?, credential?}`);
  if ((vars.RTC_LISTEN_IP === '0.0.0.0' || vars.RTC_LISTEN_IP === '::') && !vars.RTC_ANNOUNCED_ADDRESS) {
    problems.push(`RTC_LISTEN_IP=${vars.RTC_LISTEN_IP} needs RTC_ANNOUNCED_ADDRESS: clients cannot reach a wildcard address`);
  }
  if (vars.MEDIASOUP_WORKER_BIN && !isExecutableFile(vars.MEDIASOUP_WORKER_BIN)) {
    problems.push(`MEDIASOUP_WORKER_BIN=${JSON.stringify(vars.MEDIASOUP_WORKER_BIN)}: not an executable file; point it at a mediasoup-worker binary or unset it to use the default search`);
  }
  if (vars.RTC_MIN_PORT > vars.RTC_MAX_PORT) problems.push(`RTC_MIN_PORT=${vars.RTC_MIN_PORT} is above RTC_MAX_PORT=${vars.RTC_MAX_PORT}`);
  const chunkWire = Math.ceil(vars.FILE_CHUNK_BYTES / 3) * 4 + 1024;
  if (vars.MAX_MESSAGE_BYTES < chunkWire) {
    problems.push(`MAX_MESSAGE_BYTES=${vars.MAX_MESSAGE_BYTES} cannot carry a FILE_CHUNK_BYTES=${vars.FILE_CHUNK_BYTES} chunk in base64; raise it to at least ${chunkWire}`);
  }
  const turnUrls = (vars.TURN_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  const badTurn = turnUrls.find((u) => !/^turns?:[^\s]+$/.test(u));
  if (badTurn) problems.push(`TURN_URLS: "${badTurn}" is not a turn: or turns: URL`);
  if (turnUrls.length > 0 && !vars.TURN_SHARED_SECRET) problems.push('TURN_URLS needs TURN_SHARED_SECRET to issue time-limited credentials');
  if (vars.TURN_SHARED_SECRET && turnUrls.length === 0) problems.push('TURN_SHARED_SECRET is set but TURN_URLS is empty');
  const origins = (vars.ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  const badOrigin = origins.find((o) => o !== '*' && !isOrigin(o));
  if (badOrigin) problems.push(`ALLOWED_ORIGINS: "${badOrigin}" is not an origin (scheme://host[:port], no path) or *`);
  if (!vars.JWT_SECRET && !vars.JWT_JWKS_URL && !vars.DEV_TOKENS) {
    problems.push('JWT_SECRET or JWT_JWKS_URL: one must be set so that tokens can be verified (or DEV_TOKENS=true for local use)');
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);

  const generatedSecret = vars.DEV_TOKENS && !vars.JWT_SECRET;
  return {
    host: vars.HOST,
    port: vars.PORT,
    logLevel: vars.LOG_LEVEL,
    webRoot: vars.WEB_ROOT,
    development: env['NODE_ENV'] === 'development',
    media: {
      workerBin: vars.MEDIASOUP_WORKER_BIN,
      numWorkers: vars.MEDIASOUP_NUM_WORKERS,
      logLevel: vars.MEDIASOUP_LOG_LEVEL,
      listenIp: vars.RTC_LISTEN_IP,
      announcedAddress: vars.RTC_ANNOUNCED_ADDRESS,
      minPort: vars.RTC_MIN_PORT,
      maxPort: vars.RTC_MAX_PORT,
      webRtcServerPort: vars.WEBRTC_SERVER_PORT,
      maxIncomingBitrate: vars.MAX_INCOMING_BITRATE,
      pipeConsumerThreshold: vars.ROOM_PIPE_CONSUMER_THRESHOLD,
      iceServers: vars.ICE_SERVERS,
      turn: turnUrls.length && vars.TURN_SHARED_SECRET ? { urls: turnUrls, sharedSecret: vars.TURN_SHARED_SECRET, ttlSeconds: vars.TURN_CREDENTIAL_TTL_S } : undefined,
    },
    allowedOrigins: origins.includes('*')
      ? '*'
      : [...origins, ...(env['NODE_ENV'] === 'development' && origins.length === 0 ? DEV_ORIGINS : [])],
    shutdownDrainMs: vars.SHUTDOWN_DRAIN_MS,
    auth: {
      jwtSecret: generatedSecret ? randomSecret() : vars.JWT_SECRET,
      jwksUrl: vars.JWT_JWKS_URL,
      issuer: vars.JWT_ISSUER,
      audience: vars.JWT_AUDIENCE,
      devTokens: vars.DEV_TOKENS,
      generatedSecret,
      timeoutMs: vars.AUTH_TIMEOUT_MS,
      resumeGraceMs: vars.RESUME_GRACE_MS,
    },
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS,
    limits: {
      maxMessageBytes: vars.MAX_MESSAGE_BYTES,
      requestsPerSecond: vars.REQUESTS_PER_SECOND,
      maxPeersPerRoom: vars.MAX_PEERS_PER_ROOM,
      maxProducersPerPeer: vars.MAX_PRODUCERS_PER_PEER,
      maxTransportsPerPeer: vars.MAX_TRANSPORTS_PER_PEER,
      maxChatLength: vars.MAX_CHAT_LENGTH,
      maxFileBytes: vars.MAX_FILE_BYTES,
      fileChunkBytes: vars.FILE_CHUNK_BYTES,
    },
  };
}

/** Where `nx serve web` runs; allowed by default in development only. */
const DEV_ORIGINS = ['http://127.0.0.1:4200', 'http://localhost:4200'];

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
  } catch {
    return false;
  }
}

function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}

/**
 * Reads CONFIG_FILE: a JSON object (values may be numbers or booleans) or
 * `.env` lines. Unknown names are refused so that a typo does not go unnoticed.
 */
export function readConfigFile(file: string | undefined): Record<string, string> {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  CONFIG_FILE=${JSON.stringify(file)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let entries: [string, string][];
  if (/^\s*\{/.test(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`invalid configuration:\n  CONFIG_FILE=${JSON.stringify(file)}: invalid JSON (${(error as Error).message})`);
    }
    entries = Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  } else {
    entries = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => {
        const at = line.indexOf('=');
        const value = at < 0 ? '' : line.slice(at + 1).trim();
        return [at < 0 ? line : line.slice(0, at).trim().replace(/^export\s+/, ''), value.replace(/^(['"])(.*)\1$/, '$2')];
      });
  }
  const names = new Set(CONFIG_VARIABLES.map((v) => v.name));
  const unknown = entries.filter(([k]) => !names.has(k) && k !== 'NODE_ENV').map(([k]) => k);
  if (unknown.length) throw new ConfigError(`invalid configuration:\n  CONFIG_FILE=${JSON.stringify(file)}: unknown variable(s) ${unknown.join(', ')}`);
  return Object.fromEntries(entries);
}

function isIceServerList(value: unknown): value is IceServer[] {
  return (
    Array.isArray(value) &&
    value.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        (typeof (s as IceServer).urls === 'string' || (Array.isArray((s as IceServer).urls) && (s as { urls: unknown[] }).urls.every((u) => typeof u === 'string'))),
    )
  );
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function defaultRandomSecret(): string {
  return randomBytes(32).toString('base64url');
}
