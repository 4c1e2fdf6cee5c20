import { Injectable, Logger } from '@nestjs/common';
import { SignalingError, type WireError } from '@confer/signaling-contracts';

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
    const e = error instanceof Error ? error : new Error(String(error));
    // mediasoup signals misuse with these; they are the client's doing.
    if (fromMediasoup(e)) {
      if (e.name === 'InvalidStateError') return { code: 'invalid_state', reason: e.message };
      if (e.name === 'TypeError' || e.name === 'UnsupportedError') return { code: 'invalid_request', reason: e.message };
      if (e.name === 'NotFoundError') return { code: 'not_found', reason: e.message };
    }
    this.logger.error({ err: e, reqId: where.reqId, peer: where.peerId, room: where.room, method: where.method }, `${where.method}() failed | peer=${where.peerId ?? '-'} request=${where.requestId}`);
    return { code: 'internal', reason: `internal error handling ${where.method} #${where.requestId}` };
  }
}

/** True for errors raised inside mediasoup (or its test double), not by our own bugs. */
function fromMediasoup(error: Error): boolean {
  if (error.name === 'InvalidStateError' || error.name === 'UnsupportedError' || error.name === 'NotFoundError') return true;
  return /[/\\]mediasoup[/\\]|fake-mediasoup/.test(error.stack ?? '');
}
