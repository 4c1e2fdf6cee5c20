import { cpus } from 'node:os';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsIP, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import type { IceServer } from '@confer/signaling-contracts';

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
  { name: 'DATA_DIR', default: '.confer-data', meaning: 'Folder for the embedded database (and other files the server keeps), relative to the working directory.' },
  { name: 'DATABASE_URL', default: '(embedded)', meaning: 'Meeting history and audit trail: `postgres://user:pass@host:5432/db` for PostgreSQL; unset: embedded PGlite in `DATA_DIR/db`; `memory:`: embedded, kept in memory only. Migrations run at start-up.' },
  { name: 'API_KEYS', default: '(unset)', meaning: 'Server API credentials, comma-separated `key:secret` pairs (secret at least 32 characters; several for rotation). Unset: the server API answers 503.' },
  { name: 'WEBHOOK_URLS', default: '(unset)', meaning: 'Comma-separated http(s) URLs that receive every event as a signed POST (needs WEBHOOK_SECRET).' },
  { name: 'WEBHOOK_SECRET', default: '(unset)', meaning: 'HMAC-SHA256 key for the `Confer-Signature` header of webhook deliveries (at least 32 characters).' },
  { name: 'WEBHOOK_MAX_ATTEMPTS', default: '6', meaning: 'Attempts per webhook delivery before it is given up (logged as `gave_up`).' },
  { name: 'WEBHOOK_RETRY_BASE_MS', default: '1000', meaning: 'First retry delay; doubles on each attempt (with ±20 % jitter), capped at 5 minutes.' },
  { name: 'WEBHOOK_TIMEOUT_MS', default: '5000', meaning: 'A webhook endpoint must answer 2xx within this long.' },
  { name: 'REMOVAL_BAN_S', default: '300', meaning: 'After a moderator removes a participant, the same identity cannot re-enter that room for this many seconds.' },
  { name: 'ROOM_DEFAULT_LOBBY', default: 'false', meaning: 'Lobby on for rooms that were not created through the server API.' },
  { name: 'RECORDING_ENABLED', default: '(when ffmpeg is found)', meaning: 'Server-side recording (one tap and ffmpeg per track, one mixed MP4 at stop). Unset: on when FFMPEG_PATH runs and a mediasoup worker is live; `false`: off; `true` with no ffmpeg: recording reports itself unavailable with the reason.' },
  { name: 'FFMPEG_PATH', default: 'ffmpeg', meaning: 'ffmpeg executable used by the recorder (looked up on PATH when not a path).' },
  { name: 'RECORDING_MIN_PORT', default: '50000', meaning: 'Lowest UDP port of the recorder: the lower half of the range is where ffmpeg receives (RTP on an even port, RTCP on the next), the upper half is where mediasoup\'s plain transports send from.' },
  { name: 'RECORDING_MAX_PORT', default: '50999', meaning: 'Highest UDP port of the recorder (see RECORDING_MIN_PORT; at least 8 ports).' },
  { name: 'REDIS_URL', default: '(unset)', meaning: 'Scale-out: `redis://host:6379` shared by every node (node registry, room placement, node-to-node messages). Unset: one node, nothing shared.' },
  { name: 'CLUSTER_SECRET', default: '(unset)', meaning: 'With REDIS_URL: the same secret (at least 32 characters) on every node; signs redirect tokens and node-to-node requests.' },
  { name: 'NODE_ID', default: '(host name + random)', meaning: 'This node\'s id in the cluster (letters, digits, `.`, `_`, `-`).' },
  { name: 'NODE_PUBLIC_URL', default: '(ws://HOST:PORT/ws)', meaning: 'Signaling URL clients are redirected to for rooms on this node (behind a load balancer: this node\'s own address, not the balancer\'s).' },
  { name: 'NODE_REGION', default: 'default', meaning: 'Placement label; a room created with a region prefers nodes of that region.' },
  { name: 'NODE_MAX_PEERS', default: '500', meaning: 'Peers this node should carry; new rooms go to other nodes while this one is at or over it.' },
  { name: 'CLUSTER_HEARTBEAT_MS', default: '1000', meaning: 'How often a node renews its registry entry and load.' },
  { name: 'CLUSTER_NODE_TTL_MS', default: '3000', meaning: 'A node silent this long is dead: its rooms are placed again on live nodes (at least 2× the heartbeat).' },
  { name: 'CLUSTER_REDIRECT_TOKEN_S', default: '30', meaning: 'Lifetime of the token a redirect carries to the owning node.' },
  { name: 'CLUSTER_PIPE_SRTP', default: 'false', meaning: 'Encrypt the RTP piped between nodes (PipeTransport SRTP, AEAD_AES_256_GCM). Set it the same on every node; on for nodes that talk over a network you do not trust.' },
  { name: 'CLUSTER_EDGE_VIEWERS_AT', default: '0', meaning: 'Rooms across nodes for large audiences: once a room has this many peers on its node, new viewers (role `viewer`) are sent to another node, which serves them with the room\'s producers piped from the owner (PipeTransports); viewers reaching another node directly are served there too. 0 = off (every peer is sent to the room\'s node).' },
  { name: 'RECORDING_LISTEN_IP', default: '127.0.0.1', meaning: 'IP the recorder\'s plain transports and ffmpeg use; keep it on loopback (the RTP is unencrypted).' },
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
  @IsString() @MinLength(1) DATA_DIR = '.confer-data';
  // Checked in loadConfig() (databaseTarget).
  @IsOptional() @IsString() DATABASE_URL?: string;
  // Checked in loadConfig(): `key:secret` pairs.
  @IsOptional() @IsString() API_KEYS?: string;
  @IsOptional() @IsString() WEBHOOK_URLS?: string;
  @IsOptional() @IsString() @MinLength(32) WEBHOOK_SECRET?: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(20) WEBHOOK_MAX_ATTEMPTS = 6;
  @Transform(toInt) @IsInt() @Min(10) WEBHOOK_RETRY_BASE_MS = 1000;
  @Transform(toInt) @IsInt() @Min(100) WEBHOOK_TIMEOUT_MS = 5000;
  @Transform(toInt) @IsInt() @Min(0) REMOVAL_BAN_S = 300;
  @Transform(toBool) @IsBoolean() ROOM_DEFAULT_LOBBY = false;
  @IsOptional() @Transform(toBool) @IsBoolean() RECORDING_ENABLED?: boolean;
  @IsString() @MinLength(1) FFMPEG_PATH = 'ffmpeg';
  @Transform(toInt) @IsInt() @Min(1024) @Max(65535) RECORDING_MIN_PORT = 50_000;
  @Transform(toInt) @IsInt() @Min(1024) @Max(65535) RECORDING_MAX_PORT = 50_999;
  @IsIP() RECORDING_LISTEN_IP = '127.0.0.1';
  @IsOptional() @IsString() REDIS_URL?: string;
  @IsOptional() @IsString() @MinLength(32) CLUSTER_SECRET?: string;
  @IsOptional() @Matches(/^[A-Za-z0-9._-]{1,64}$/) NODE_ID?: string;
  @IsOptional() @IsString() NODE_PUBLIC_URL?: string;
  @Matches(/^[A-Za-z0-9._-]{1,64}$/) NODE_REGION = 'default';
  @Transform(toInt) @IsInt() @Min(1) NODE_MAX_PEERS = 500;
  @Transform(toInt) @IsInt() @Min(100) CLUSTER_HEARTBEAT_MS = 1000;
  @Transform(toInt) @IsInt() @Min(200) CLUSTER_NODE_TTL_MS = 3000;
  @Transform(toInt) @IsInt() @Min(5) @Max(300) CLUSTER_REDIRECT_TOKEN_S = 30;
  @Transform(toBool) @IsBoolean() CLUSTER_PIPE_SRTP = false;
  @Transform(toInt) @IsInt() @Min(0) CLUSTER_EDGE_VIEWERS_AT = 0;
}
