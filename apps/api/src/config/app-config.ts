import { randomBytes } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { IceServer, ServerLimits } from '@confer/signaling-contracts';
import { ConfigError } from './config-error';
import { readConfigFile } from './config-file';
import { CONFIG_VARIABLES, EnvironmentVariables } from './config-variables';
import { clusterConfig, type ClusterConfig } from './cluster-config';
import { portalConfig, type PortalConfig } from './portal-config';

export { ConfigError } from './config-error';
export { readConfigFile } from './config-file';
export { CONFIG_VARIABLES, EnvironmentVariables, type ConfigVariable } from './config-variables';

/** The validated configuration the rest of the API reads (never `process.env`). */
export interface AppConfig {
  host: string;
  port: number;
  logLevel: string;
  webRoot?: string;
  /** NODE_ENV=development (`npm start`): clients are told the server-side fix for missing media. */
  development: boolean;
  media: {
    /** MEDIASOUP_WORKER_BIN as configured (checked to be an executable file); unset: resolved by workers/worker-bin.ts. */
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
  /** Server API, webhooks, database, moderation. */
  portal: PortalConfig;
  /** Scale-out over Redis (REDIS_URL); `cluster.redisUrl === null`: single node. */
  cluster: ClusterConfig;
  /** Server-side recording (apps/api/src/recording/). */
  recording: {
    /** RECORDING_ENABLED: undefined = on when ffmpeg is found. */
    enabled?: boolean;
    ffmpegPath: string;
    minPort: number;
    maxPort: number;
    listenIp: string;
    /** Where tracks are written while recording, before RECORDING_STORAGE takes the finished files. */
    workDir: string;
  };
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
      // Secrets are named, never shown (start-up errors end up in logs).
      const shown = /SECRET|API_KEYS|DATABASE_URL/.test(e.property) ? '(hidden)' : JSON.stringify(e.value);
      return `${e.property}=${shown}: ${messages.join('; ')}`;
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
  if (vars.RECORDING_MAX_PORT - vars.RECORDING_MIN_PORT < 7) problems.push(`RECORDING_MIN_PORT=${vars.RECORDING_MIN_PORT}..RECORDING_MAX_PORT=${vars.RECORDING_MAX_PORT}: the range needs at least 8 ports`);
  const portal = portalConfig(vars, problems);
  const cluster = clusterConfig(vars, problems);
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
    portal,
    cluster,
    recording: {
      enabled: vars.RECORDING_ENABLED,
      ffmpegPath: vars.FFMPEG_PATH,
      minPort: vars.RECORDING_MIN_PORT,
      maxPort: vars.RECORDING_MAX_PORT,
      listenIp: vars.RECORDING_LISTEN_IP,
      workDir: path.resolve(vars.DATA_DIR, 'recordings-work'),
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
