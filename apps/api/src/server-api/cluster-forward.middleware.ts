import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import { ClusterRedisService } from '../cluster/cluster-redis.service';
import { NodeRegistryService } from '../cluster/node-registry.service';
import { RoomPlacementService } from '../cluster/room-placement.service';

/** The parts of Express's request and response this middleware uses. */
interface Request {
  method: string;
  originalUrl: string;
  headers: Record<string, string | string[] | undefined> & { authorization?: string };
  body?: unknown;
}
interface Response {
  headersSent: boolean;
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
  send(body: Buffer): unknown;
}
type NextFunction = () => void;

/** Set on a request one node forwards to another: it is never forwarded again. */
export const FORWARDED_HEADER = 'confer-forwarded-by';

const ROOM_PATH = /^\/api\/v1\/rooms\/([^/?]+)/;
const FORWARD_TIMEOUT_MS = 10_000;

/**
 * Cluster mode: a server API call about one room (`/api/v1/rooms/{roomId}/…`)
 * that reaches a node other than the room's owner is forwarded to the owner's
 * HTTP address, with the caller's credentials, and its answer returned as it
 * is — the portal may call any node (a load balancer). Rooms with no live owner,
 * a single node, Redis away, or an owner that does not answer: served here.
 */
@Injectable()
export class ClusterForwardMiddleware implements NestMiddleware {
  private readonly logger = new Logger(ClusterForwardMiddleware.name);

  constructor(
    private readonly redis: ClusterRedisService,
    private readonly registry: NodeRegistryService,
    private readonly placement: RoomPlacementService,
  ) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    const match = ROOM_PATH.exec(req.originalUrl);
    if (!match || !this.redis.enabled || !this.redis.up || req.headers[FORWARDED_HEADER]) return next();
    let target: { id: string; httpUrl: string } | null = null;
    try {
      const owner = await this.placement.ownerOf(decodeURIComponent(match[1]));
      if (owner && owner !== this.registry.selfId) target = await this.registry.node(owner);
    } catch {
      target = null;
    }
    if (!target) return next();
    try {
      const hasBody = !['GET', 'HEAD', 'DELETE'].includes(req.method) && req.body !== undefined;
      const answer = await fetch(`${target.httpUrl}${req.originalUrl}`, {
        method: req.method,
        headers: {
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
          ...(typeof req.headers['x-request-id'] === 'string' ? { 'x-request-id': req.headers['x-request-id'] } : {}),
          [FORWARDED_HEADER]: this.registry.selfId,
        },
        body: hasBody ? JSON.stringify(req.body) : undefined,
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      });
      res.status(answer.status);
      const type = answer.headers.get('content-type');
      if (type) res.setHeader('content-type', type);
      res.setHeader(FORWARDED_HEADER, `${this.registry.selfId} -> ${target.id}`);
      res.send(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      this.logger.warn(`forward to node ${target.id} failed, serving here | ${req.method} ${req.originalUrl} | ${(error as Error).message}`);
      if (!res.headersSent) next();
    }
  }
}
