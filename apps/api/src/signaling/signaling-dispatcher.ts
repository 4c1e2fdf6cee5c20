import { Inject, Injectable, Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { SignalingError, isClientRequestMethod, type ClientRequestMethod } from '@confer/signaling-contracts';
import { AuthenticateDto } from '../auth/dto/authenticate.dto';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { FilesService } from '../files/files.service';
import { EmptyDto } from '../sessions/dto/session.dto';
import { SessionsService } from '../sessions/sessions.service';
import { WorkerHealthService } from '../workers/worker-health.service';
import { wirePropertiesOf } from '../validation/is-wire';
import type { SignalingConnection } from './signaling-connection';
import { messageShapeProblem } from './message-shape';
import { SignalingExceptionFilter } from './signaling-exception.filter';
import { SignalingRoutes, type PeerMethod, type Route } from './signaling-routes';

/**
 * Reads every message of a connection: size, JSON, envelope, method, rate,
 * authentication and DTO validation, then the route's service call. Every
 * request gets exactly one response, whatever happens.
 */
@Injectable()
export class SignalingDispatcher {
  private readonly logger = new Logger(SignalingDispatcher.name);
  private readonly limiter: RateLimiterMemory;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly routes: SignalingRoutes,
    private readonly sessions: SessionsService,
    private readonly filter: SignalingExceptionFilter,
    private readonly metrics: MetricsService,
    private readonly health: WorkerHealthService,
    private readonly files: FilesService,
  ) {
    const rps = config.limits.requestsPerSecond;
    this.limiter = new RateLimiterMemory({ points: rps, duration: 1 });
  }

  async onMessage(conn: SignalingConnection, raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): Promise<void> {
    const bytes = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (isBinary) return this.onFileFrame(conn, bytes);
    // The socket takes at most 4 × MAX_MESSAGE_BYTES (ws maxPayload), so parsing
    // an oversized message is bounded too, and its answer can carry its id.
    let message: unknown;
    try {
      message = JSON.parse(bytes.toString('utf8'));
    } catch {
      message = undefined;
    }
    const m = typeof message === 'object' && message !== null && !Array.isArray(message) ? (message as Record<string, unknown>) : null;
    const rawId = m && Object.prototype.hasOwnProperty.call(m, 'id') ? m['id'] : undefined;
    const id = isRequestId(rawId) ? rawId : null;
    const echoed = echoId(rawId);
    if (bytes.length > this.config.limits.maxMessageBytes) {
      return void this.fail(conn, m?.['type'] === 'request' ? echoed : null, new SignalingError('limit_exceeded', `message of ${bytes.length} bytes exceeds the limit of ${this.config.limits.maxMessageBytes}`));
    }
    if (message === undefined) return void this.fail(conn, null, new SignalingError('invalid_request', 'messages must be JSON text'));
    if (!m) return void this.fail(conn, null, new SignalingError('invalid_request', 'a message must be a JSON object'));
    // Depth and prototype keys before anything walks the message (class-transformer recurses).
    const shape = messageShapeProblem(message);
    if (shape) return void this.fail(conn, m['type'] === 'request' ? echoed : null, new SignalingError('invalid_request', shape));
    if (m['type'] === 'response') {
      if (!conn.handleResponse(m as { id: unknown; ok: unknown })) this.logger.debug(`response to no pending request | conn=${conn.id} id=${String(m['id'])}`);
      return;
    }
    if (m['type'] !== 'request') return void this.fail(conn, echoed, new SignalingError('invalid_request', `type must be "request" or "response", got ${JSON.stringify(m['type'])}`));
    if (id === null) {
      return void this.fail(conn, echoed, new SignalingError('invalid_request', rawId === undefined ? 'a request needs an id' : `a request id must be a non-negative integer, got ${JSON.stringify(echoed)}`));
    }
    const method = m['method'];
    if (!isClientRequestMethod(method)) {
      return void this.fail(conn, id, new SignalingError('unknown_method', `unknown method ${typeof method === 'string' ? JSON.stringify(method.slice(0, 64)) : typeof method}`));
    }
    const key = m['key'];
    if (key !== undefined && (typeof key !== 'string' || key.length < 1 || key.length > 64)) {
      return void this.fail(conn, id, new SignalingError('invalid_request', 'key must be a string of 1 to 64 characters'));
    }
    await this.serve(conn, id, method, m['data'], key);
  }

  /** Binary frames are file frames (file-frames.ts), for authenticated peers only; a refused one is answered with id null. */
  private onFileFrame(conn: SignalingConnection, bytes: Buffer): void {
    try {
      if (!conn.peer) throw new SignalingError('unauthenticated', 'authenticate first');
      this.files.frame(conn.peer, bytes);
    } catch (error) {
      this.fail(conn, null, error, 'fileFrame', conn.peer?.id);
    }
  }

  private async serve(conn: SignalingConnection, id: number, method: ClientRequestMethod, data: unknown, key?: string): Promise<void> {
    const peerId = conn.peer?.id;
    const started = performance.now();
    try {
      // Keyed by peer once authenticated, so reconnecting does not reset the budget.
      await this.limiter.consume(conn.peer ? `peer:${conn.peer.id}` : `conn:${conn.id}`).catch(() => {
        throw new SignalingError('limit_exceeded', `more than ${this.config.limits.requestsPerSecond} requests per second`);
      });
      let result: unknown;
      if (method === 'authenticate') {
        if (conn.peer) throw new SignalingError('invalid_state', 'already authenticated');
        // One at a time: a second authenticate while the first is verified must not replace this very connection.
        if (conn.authenticating) throw new SignalingError('invalid_state', 'authentication already in progress on this connection');
        const params = this.validated(AuthenticateDto, data);
        conn.authenticating = true;
        try {
          const { peer, result: authResult } = await this.sessions.authenticate(conn, params);
          if (!conn.open) {
            // Closed while authenticating: the peer must not outlive its socket (the close handler saw no peer).
            this.sessions.connectionLost(peer, conn, 1006);
            return;
          }
          conn.peer = peer;
          if (conn.authTimer) clearTimeout(conn.authTimer);
          conn.authTimer = null;
          result = authResult;
        } finally {
          conn.authenticating = false;
        }
      } else {
        const peer = conn.peer;
        if (!peer) throw new SignalingError('unauthenticated', 'authenticate first');
        const route = this.routes.table[method] as unknown as Route<PeerMethod>;
        const run = (): unknown => route.handle(peer, this.validated(route.dto, data) as never);
        result = await (key === undefined ? run() : peer.requests.once(key, method, run));
      }
      conn.respond({ type: 'response', id, ok: true, data: result ?? {} });
      this.done(conn, id, method, 'ok', started);
    } catch (error) {
      const code = this.fail(conn, id, error, method, peerId);
      this.done(conn, id, method, code, started);
      // Unexpected: maybe a worker that can no longer serve anyone. Find out now, not at the next periodic check.
      if (code === 'internal') void this.health.probeWorkers(`${method}() failed unexpectedly`);
    }
  }

  /**
   * Metrics and one structured log line per request: `reqId` (connection id
   * prefix + request id) ties it to the error log of the same request; `peer`
   * and `room` make a call's lines greppable.
   */
  private done(conn: SignalingConnection, id: number, method: string, outcome: string, started: number): void {
    const ms = performance.now() - started;
    this.metrics.observe(method, outcome, ms / 1000);
    const fields = { reqId: requestLogId(conn, id), conn: conn.id, peer: conn.peer?.id, room: conn.peer?.roomId ?? undefined, method, outcome, ms: Math.round(ms * 10) / 10 };
    if (outcome === 'ok') this.logger.debug(fields, `${method}() | ok`);
    else this.logger.log(fields, `${method}() | ${outcome}`);
  }

  /** Validates `data` against `dto`; `invalid_request` lists each failing field. */
  private validated<T extends object>(dto: new () => T, data: unknown): T {
    const input = data === undefined ? {} : data;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new SignalingError('invalid_request', 'data must be an object');
    }
    // A DTO without fields (EmptyDto) has no metadata for forbidNonWhitelisted to work from.
    if ((dto as unknown) === EmptyDto && Object.keys(input).length > 0) {
      throw new SignalingError('invalid_request', `unexpected parameters: ${Object.keys(input).join(', ')}`);
    }
    // @IsWire properties are validated whole by checkWire and passed on as parsed: not deep-copied.
    const wire = wirePropertiesOf(dto);
    const fields = input as Record<string, unknown>;
    const instance = plainToInstance(dto, wire.length ? Object.fromEntries(Object.entries(fields).filter(([name]) => !wire.includes(name))) : fields);
    for (const name of wire) if (Object.hasOwn(fields, name)) (instance as Record<string, unknown>)[name] = fields[name];
    // Synchronous: requests of a connection are validated in arrival order (fileChunk relies on it).
    const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
    if (errors.length) {
      const fields = flatten(errors);
      throw new SignalingError('invalid_request', `invalid parameters: ${Object.entries(fields).map(([f, msgs]) => `${f} (${msgs.join('; ')})`).join(', ')}`, { fields });
    }
    return instance;
  }

  /** Answers the request with the error; returns its code. */
  private fail(conn: SignalingConnection, id: number | string | null, error: unknown, method = '(envelope)', peerId?: string): string {
    const wire = this.filter.catch(error, { method, requestId: id, peerId, reqId: typeof id === 'number' ? requestLogId(conn, id) : undefined, room: conn.peer?.roomId ?? undefined });
    conn.respond({ type: 'response', id, ok: false, error: wire });
    return wire.code;
  }
}

/** Request id for logs: unique per server (request ids are only unique per connection). */
function requestLogId(conn: SignalingConnection, id: number): string {
  return `${conn.id.slice(0, 8)}-${id}`;
}

function isRequestId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
}

/** The id to answer an unusable request with: as sent when it is a number or a short string, else null. */
function echoId(id: unknown): number | string | null {
  if (typeof id === 'number' && Number.isFinite(id)) return id;
  if (typeof id === 'string' && id.length <= 64) return id;
  return null;
}

/** `{ 'device.name': ['name must be a string'] }` from class-validator's tree. */
function flatten(errors: ValidationError[], prefix = ''): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) out[path] = Object.values(e.constraints);
    if (e.children?.length) Object.assign(out, flatten(e.children, path));
  }
  return out;
}
