import { createHash, randomUUID, type Hash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  SignalingError,
  type Empty,
  type FileAnswerParams,
  type FileCancelParams,
  type FileChunkParams,
  type FileOfferParams,
  type FileOfferResult,
} from '@confer/signaling-contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Peer } from '../peers/peer';
import { RoomsService } from '../rooms/rooms.service';

/** Transfers one peer may have open (offered or in progress) as sender. */
export const MAX_TRANSFERS_PER_SENDER = 8;

/** One file on its way from `from` to `to`. */
interface Transfer {
  id: string;
  from: Peer;
  to: Peer;
  offer: FileOfferParams;
  state: 'offered' | 'accepted';
  nextSeq: number;
  received: number;
  inFlight: number;
  hash: Hash;
}

/**
 * File transfer relayed over the signaling channel: offer → answer → chunks →
 * complete. The sender's `fileChunk` is answered only after the recipient
 * answered the relayed one, which is the backpressure; the server hashes the
 * bytes as they pass and checks the offer's SHA-256 at `fileComplete`.
 */
@Injectable()
export class FilesService {
  private readonly logger = new Logger(FilesService.name);
  private readonly transfers = new Map<string, Transfer>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rooms: RoomsService,
  ) {}

  /** Transfers in progress, for leak assertions. */
  get active(): number {
    return this.transfers.size;
  }

  offer(from: Peer, offer: FileOfferParams): FileOfferResult {
    const room = this.rooms.roomOf(from);
    from.assertPermitted('sendFiles');
    const max = this.config.limits.maxFileBytes;
    if (offer.size > max) throw new SignalingError('limit_exceeded', `files are at most ${max} bytes (this one is ${offer.size})`);
    if (offer.to === from.id) throw new SignalingError('invalid_request', 'cannot send a file to oneself');
    const to = room.peers.get(offer.to);
    if (!to?.joined) throw new SignalingError('not_found', `peer ${offer.to} is not in room ${room.id}`);
    const open = [...this.transfers.values()].filter((t) => t.from === from).length;
    if (open >= MAX_TRANSFERS_PER_SENDER) throw new SignalingError('limit_exceeded', `at most ${MAX_TRANSFERS_PER_SENDER} file transfers at a time`);
    const transfer: Transfer = {
      id: randomUUID(),
      from,
      to,
      offer,
      state: 'offered',
      nextSeq: 0,
      received: 0,
      inFlight: 0,
      hash: createHash('sha256'),
    };
    this.transfers.set(transfer.id, transfer);
    to.channel.notify('fileOffered', { transferId: transfer.id, from: from.id, name: offer.name, size: offer.size, mimeType: offer.mimeType, sha256: offer.sha256 });
    this.logger.log(`offer() | transfer=${transfer.id} from=${from.id} to=${to.id} size=${offer.size}`);
    return { transferId: transfer.id };
  }

  answer(peer: Peer, { transferId, accept }: FileAnswerParams): Empty {
    const transfer = this.find(transferId, peer, 'to');
    if (transfer.state !== 'offered') throw new SignalingError('invalid_state', `transfer ${transferId} was already answered`);
    if (accept) transfer.state = 'accepted';
    else this.transfers.delete(transferId);
    transfer.from.channel.notify('fileAnswered', { transferId, accepted: accept });
    return {};
  }

  async chunk(peer: Peer, { transferId, seq, data }: FileChunkParams): Promise<Empty> {
    const transfer = this.find(transferId, peer, 'from');
    if (transfer.state !== 'accepted') throw new SignalingError('invalid_state', `transfer ${transferId} has not been accepted`);
    if (seq !== transfer.nextSeq) throw new SignalingError('invalid_request', `expected chunk ${transfer.nextSeq}, got ${seq}`);
    const bytes = Buffer.from(data, 'base64');
    const maxChunk = this.config.limits.fileChunkBytes;
    if (bytes.length > maxChunk) throw new SignalingError('limit_exceeded', `chunks are at most ${maxChunk} bytes (got ${bytes.length})`);
    if (transfer.received + bytes.length > transfer.offer.size) {
      this.cancel(transfer, null, 'more bytes than offered');
      throw new SignalingError('limit_exceeded', `transfer ${transferId} exceeds its offered size of ${transfer.offer.size} bytes`);
    }
    // Hashed in arrival order; `seq` was checked above, so that is file order.
    transfer.hash.update(bytes);
    transfer.received += bytes.length;
    transfer.nextSeq++;
    transfer.inFlight++;
    try {
      await transfer.to.channel.request('fileChunk', { transferId, seq, data });
    } catch (error) {
      const reason = `recipient did not take chunk ${seq}: ${(error as SignalingError).reason ?? (error as Error).message}`;
      this.cancel(transfer, null, reason);
      throw new SignalingError((error as SignalingError).code === 'timeout' ? 'timeout' : 'invalid_state', reason);
    } finally {
      transfer.inFlight--;
    }
    return {};
  }

  complete(peer: Peer, { transferId }: { transferId: string }): Empty {
    const transfer = this.find(transferId, peer, 'from');
    if (transfer.state !== 'accepted') throw new SignalingError('invalid_state', `transfer ${transferId} has not been accepted`);
    if (transfer.inFlight > 0) throw new SignalingError('invalid_state', `${transfer.inFlight} chunk(s) still in flight; wait for their answers`);
    if (transfer.received !== transfer.offer.size) {
      throw new SignalingError('invalid_state', `received ${transfer.received} of ${transfer.offer.size} bytes`);
    }
    const sha256 = transfer.hash.digest('hex');
    this.transfers.delete(transferId);
    if (sha256 !== transfer.offer.sha256) {
      const reason = `SHA-256 mismatch: offered ${transfer.offer.sha256}, received ${sha256}`;
      transfer.from.channel.notify('fileTransferCancelled', { transferId, by: null, reason });
      transfer.to.channel.notify('fileTransferCancelled', { transferId, by: null, reason });
      throw new SignalingError('invalid_request', reason);
    }
    transfer.from.channel.notify('fileTransferCompleted', { transferId, sha256 });
    transfer.to.channel.notify('fileTransferCompleted', { transferId, sha256 });
    this.logger.log(`complete() | transfer=${transferId} bytes=${transfer.received}`);
    return {};
  }

  cancelByPeer(peer: Peer, { transferId, reason }: FileCancelParams): Empty {
    const transfer = this.find(transferId, peer, 'either');
    this.cancel(transfer, peer, reason ?? 'cancelled');
    return {};
  }

  /** Cancels every transfer `peer` takes part in (it left or disconnected). */
  peerGone(peer: Peer): void {
    for (const transfer of [...this.transfers.values()]) {
      if (transfer.from === peer || transfer.to === peer) this.cancel(transfer, peer, 'peer left');
    }
  }

  private cancel(transfer: Transfer, by: Peer | null, reason: string): void {
    if (!this.transfers.delete(transfer.id)) return;
    for (const side of [transfer.from, transfer.to]) {
      if (side !== by || by === null) side.channel.notify('fileTransferCancelled', { transferId: transfer.id, by: by?.id ?? null, reason });
    }
    this.logger.log(`cancel() | transfer=${transfer.id} by=${by?.id ?? 'server'} reason=${reason}`);
  }

  private find(transferId: string, peer: Peer, role: 'from' | 'to' | 'either'): Transfer {
    const transfer = this.transfers.get(transferId);
    if (!transfer) throw new SignalingError('not_found', `transfer ${transferId} does not exist`);
    const isFrom = transfer.from === peer;
    const isTo = transfer.to === peer;
    if ((role === 'from' && !isFrom) || (role === 'to' && !isTo) || (role === 'either' && !isFrom && !isTo)) {
      throw new SignalingError('forbidden', `transfer ${transferId} is not yours to ${role === 'to' ? 'answer' : 'drive'}`);
    }
    return transfer;
  }
}
