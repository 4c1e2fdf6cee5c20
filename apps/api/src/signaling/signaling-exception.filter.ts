import { Injectable, Logger } from '@nestjs/common';
import { SignalingError, type ErrorCode, type WireError } from '@confer/signaling-contracts';
import { NotFoundError, UnsupportedError, WorkerClosedError } from 'mediasoup/errors';

/**
 * mediasoup's own error classes and the wire code each stands for. Only these:
 * every value a client sends is validated before it reaches mediasoup, so a
 * plain `TypeError` (mediasoup's answer to a bad argument) or `Error` means a
 * bug of ours or a broken worker and is answered `internal`, never blamed on
 * the client. The test double throws the same classes (from 'mediasoup/errors').
 */
const MEDIASOUP_ERRORS: [new (message: string) => Error, ErrorCode][] = [
  [UnsupportedError, 'invalid_request'],
  [NotFoundError, 'not_found'],
  [WorkerClosedError, 'media_unavailable'],
];

/**
 * Turns anything a handler throws into the wire error answering its request.
 * Nest's stock filter does not reach `@nestjs/platform-ws` clients, so the
 * dispatcher calls this one for every failure.
 */
@Injectable()
export class SignalingExceptionFilter {
  private readonly logger = new Logger(SignalingExceptionFilter.name);

  catch(error: unknown, where: { method: string; requestId: number | string | null; peerId?: string; reqId?: string; room?: string }): WireError {
    if (error instanceof SignalingError) return error.toWire();
    const known = MEDIASOUP_ERRORS.find(([type]) => error instanceof type);
    if (known) return { code: known[1], reason: (error as Error).message };
    const e = error instanceof Error ? error : new Error(String(error));
    this.logger.error({ err: e, reqId: where.reqId, peer: where.peerId, room: where.room, method: where.method }, `${where.method}() failed | peer=${where.peerId ?? '-'} request=${where.requestId}`);
    return { code: 'internal', reason: `internal error handling ${where.method} #${where.requestId}` };
  }
}
