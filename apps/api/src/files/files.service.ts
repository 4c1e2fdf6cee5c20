import { createHash, randomUUID, type Hash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  FILE_FRAME_MAX_BYTES,
  FILE_FRAMES_PER_SECOND,
  FILE_WINDOW_CHUNKS,
  FileFrameError,
  SignalingError,
  decodeFileFrame,
  encodeFileAckFrame,
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

/**
 * Most bytes queued on a recipient's socket before the server stops crediting
 * the sender (binary frames): one window. An honest recipient never gets there
 * (it acks what it read); one that acks without reading is held at two windows.
 */
export const FILE_RELAY_BUFFER_BYTES = FILE_WINDOW_CHUNKS * FILE_FRAME_MAX_BYTES;
/** How often a withheld credit is retried while the recipient's socket drains. */
const CREDIT_RETRY_MS = 5;

/** One file on its way from `from` to `to`. */
interface Transfer {
  id: string;
  from: Peer;
  to: Peer;
  offer: FileOfferParams;
  state: 'offered' | 'accepted';
  /** Chunks travel as binary frames (both sides said so), else as `fileChunk` requests. */
  binary: boolean;
  nextSeq: number;
  received: number;
  inFlight: number;
  /** Binary: chunks the recipient acknowledged (0…acked-1 stored). */
  acked: number;
  /** Binary: acknowledgements passed on to the sender; it may send up to credited + window. */
  credited: number;
  creditTimer: NodeJS.Timeout | null;
  hash: Hash;
}

/** A peer's binary frame budget: a token bucket of FILE_FRAMES_PER_SECOND, refilled continuously. */
interface FrameBudget {
  tokens: number;
  at: number;
}

/**
 * File transfer relayed over the signaling channel: offer → answer → chunks →
 * complete. Chunks travel as binary frames when both sides offered them (a
 * window of FILE_WINDOW_CHUNKS credited by the recipient's acks, see
 * `frame()`), else as base64 `fileChunk` requests, each answered only after the
 * recipient answered the relayed one. Either way the server hashes the bytes as
 * they pass and checks the offer's SHA-256 at `fileComplete`.
 */
@Injectable()
export class FilesService {
  private readonly logger = new Logger(FilesService.name);
  private readonly transfers = new Map<string, Transfer>();
  private readonly budgets = new WeakMap<Peer, FrameBudget>();
  /** Largest `bufferedAmount` seen on a recipient's socket right after relaying a binary chunk (tests, benchmarks). */
  peakRelayBufferedBytes = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rooms: RoomsService,
  ) {}

  /** Binary relay counters of a transfer (tests): chunks relayed, acked by the recipient, credited to the sender. */
  relayState(transferId: string): { relayed: number; acked: number; credited: number } | null {
    const t = this.transfers.get(transferId);
    return t ? { relayed: t.nextSeq, acked: t.acked, credited: t.credited } : null;
  }

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
      binary: false,
      nextSeq: 0,
      received: 0,
      inFlight: 0,
      acked: 0,
      credited: 0,
      creditTimer: null,
      hash: createHash('sha256'),
    };
    this.transfers.set(transfer.id, transfer);
    to.channel.notify('fileOffered', { transferId: transfer.id, from: from.id, name: offer.name, size: offer.size, mimeType: offer.mimeType, sha256: offer.sha256 });
    this.logger.log(`offer() | transfer=${transfer.id} from=${from.id} to=${to.id} size=${offer.size}`);
    return { transferId: transfer.id };
  }

  answer(peer: Peer, { transferId, accept, binary }: FileAnswerParams): Empty {
    const transfer = this.find(transferId, peer, 'to');
    if (transfer.state !== 'offered') throw new SignalingError('invalid_state', `transfer ${transferId} was already answered`);
    if (accept) {
      transfer.state = 'accepted';
      // Binary frames only when both sides said they speak them: older clients keep the base64 path.
      transfer.binary = transfer.offer.binary === true && binary === true;
    } else this.transfers.delete(transferId);
    transfer.from.channel.notify('fileAnswered', { transferId, accepted: accept, ...(accept && transfer.binary ? { binary: true } : {}) });
    return {};
  }

  async chunk(peer: Peer, { transferId, seq, data }: FileChunkParams): Promise<Empty> {
    const transfer = this.find(transferId, peer, 'from');
    if (transfer.state !== 'accepted') throw new SignalingError('invalid_state', `transfer ${transferId} has not been accepted`);
    if (transfer.binary) throw new SignalingError('invalid_state', `transfer ${transferId} takes its chunks as binary frames`);
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
    if (transfer.binary && transfer.acked < transfer.nextSeq) throw new SignalingError('invalid_state', `${transfer.nextSeq - transfer.acked} chunk(s) not yet acknowledged; wait for their acks`);
    if (transfer.received !== transfer.offer.size) {
      throw new SignalingError('invalid_state', `received ${transfer.received} of ${transfer.offer.size} bytes`);
    }
    const sha256 = transfer.hash.digest('hex');
    this.forget(transfer);
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

  /**
   * One binary file frame from `peer` (file-frames.ts): a chunk is hashed and
   * relayed as is to the recipient; an ack is passed on to the sender as credit
   * once the recipient's socket has drained below FILE_RELAY_BUFFER_BYTES.
   * Throws a SignalingError for the dispatcher to answer (id null); a frame that
   * breaks an accepted transfer's rules cancels that transfer too.
   */
  frame(peer: Peer, bytes: Uint8Array): void {
    this.spendFrameBudget(peer);
    if (bytes.byteLength > FILE_FRAME_MAX_BYTES) throw new SignalingError('limit_exceeded', `file frames are at most ${FILE_FRAME_MAX_BYTES} bytes (got ${bytes.byteLength})`);
    let frame;
    try {
      frame = decodeFileFrame(bytes);
    } catch (error) {
      throw new SignalingError('invalid_request', error instanceof FileFrameError ? error.message : 'unreadable file frame');
    }
    const transfer = this.find(frame.transferId, peer, frame.kind === 'chunk' ? 'from' : 'to');
    if (transfer.state !== 'accepted' || !transfer.binary) throw new SignalingError('invalid_state', `transfer ${transfer.id} does not take binary frames${transfer.state === 'accepted' ? '' : ' (not accepted yet)'}`);
    if (frame.kind === 'chunk') this.relayChunk(transfer, frame.seq, frame.data, bytes);
    else this.relayAck(transfer, frame.seq);
  }

  private relayChunk(transfer: Transfer, seq: number, data: Uint8Array, frame: Uint8Array): void {
    if (seq !== transfer.nextSeq) this.violation(transfer, 'invalid_request', `expected chunk ${transfer.nextSeq}, got ${seq}`);
    if (seq >= transfer.credited + FILE_WINDOW_CHUNKS) this.violation(transfer, 'limit_exceeded', `chunk ${seq} is beyond the window (${transfer.credited} credited + ${FILE_WINDOW_CHUNKS})`);
    if (transfer.received + data.byteLength > transfer.offer.size) this.violation(transfer, 'limit_exceeded', `transfer ${transfer.id} exceeds its offered size of ${transfer.offer.size} bytes`);
    // The frame goes on unchanged: no copy, no re-encoding.
    if (!transfer.to.channel.sendBinary(frame)) this.violation(transfer, 'invalid_state', 'the recipient is not connected', null);
    transfer.hash.update(data);
    transfer.received += data.byteLength;
    transfer.nextSeq++;
    this.peakRelayBufferedBytes = Math.max(this.peakRelayBufferedBytes, transfer.to.channel.bufferedAmount);
  }

  private relayAck(transfer: Transfer, seq: number): void {
    if (seq < transfer.acked || seq >= transfer.nextSeq) this.violation(transfer, 'invalid_request', `ack of chunk ${seq}: expected ${transfer.acked} to ${transfer.nextSeq - 1}`);
    transfer.acked = seq + 1;
    this.credit(transfer);
  }

  /** Passes the recipient's acks on to the sender, unless the recipient's socket is still full: then later. */
  private credit(transfer: Transfer): void {
    transfer.creditTimer = null;
    if (this.transfers.get(transfer.id) !== transfer || transfer.credited >= transfer.acked) return;
    if (transfer.to.channel.bufferedAmount > FILE_RELAY_BUFFER_BYTES) {
      transfer.creditTimer = setTimeout(() => this.credit(transfer), CREDIT_RETRY_MS);
      return;
    }
    transfer.credited = transfer.acked;
    if (!transfer.from.channel.sendBinary(encodeFileAckFrame(transfer.id, transfer.acked - 1))) this.cancel(transfer, null, 'the sender is not connected');
  }

  /** Cancels the transfer for a frame that broke its rules, and throws for the frame's error answer. */
  private violation(transfer: Transfer, code: 'invalid_request' | 'limit_exceeded' | 'invalid_state', reason: string, blame: Peer | null = null): never {
    this.cancel(transfer, blame, reason);
    throw new SignalingError(code, reason);
  }

  private spendFrameBudget(peer: Peer): void {
    const now = performance.now();
    const budget = this.budgets.get(peer) ?? { tokens: FILE_FRAMES_PER_SECOND, at: now };
    budget.tokens = Math.min(FILE_FRAMES_PER_SECOND, budget.tokens + ((now - budget.at) / 1000) * FILE_FRAMES_PER_SECOND);
    budget.at = now;
    this.budgets.set(peer, budget);
    if (budget.tokens < 1) throw new SignalingError('limit_exceeded', `more than ${FILE_FRAMES_PER_SECOND} file frames per second`);
    budget.tokens--;
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
    if (!this.forget(transfer)) return;
    for (const side of [transfer.from, transfer.to]) {
      if (side !== by || by === null) side.channel.notify('fileTransferCancelled', { transferId: transfer.id, by: by?.id ?? null, reason });
    }
    this.logger.log(`cancel() | transfer=${transfer.id} by=${by?.id ?? 'server'} reason=${reason}`);
  }

  /** Removes the transfer and its pending credit; false when it was already gone. */
  private forget(transfer: Transfer): boolean {
    if (transfer.creditTimer) clearTimeout(transfer.creditTimer);
    transfer.creditTimer = null;
    return this.transfers.delete(transfer.id);
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
