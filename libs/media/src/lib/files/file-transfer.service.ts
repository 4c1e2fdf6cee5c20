import { DestroyRef, Injectable, inject } from '@angular/core';
import {
  FILE_FRAME_CHUNK_BYTES,
  FILE_WINDOW_CHUNKS,
  FileFrameError,
  SignalingError,
  decodeFileFrame,
  encodeFileAckFrame,
  encodeFileChunkFrame,
  type Empty,
  type FileAnsweredNotification,
  type FileChunkDelivery,
  type FileOfferedNotification,
} from '@confer/signaling-contracts';
import { BehaviorSubject, Subscription, filter, type Observable } from 'rxjs';
import { SignalingClient } from '../signaling/signaling-client';
import { deferred } from '../util/deferred';
import { Logger } from '../util/logger';
import { State } from '../util/state';
import { base64ToBytes, bytesToBase64, createSha256, readBlob, sha256OfBlob } from './file-encoding';
import { FileTransferError, formatBytes, type Active, type FileTransfer, type FileTransferProgress, type FileTransferStatus } from './file-transfer.types';

export { FileTransferError, formatBytes, type FileTransfer, type FileTransferErrorCode, type FileTransferProgress, type FileTransferStatus } from './file-transfer.types';

/** `fileChunk` requests in flight at once on the base64 path: the server answers each only after the recipient stored it. */
export const FILE_CHUNK_WINDOW = 4;

const FINAL: readonly FileTransferStatus[] = ['completed', 'declined', 'cancelled', 'failed'];

/**
 * Peer-to-peer file transfer relayed over the signaling channel: offer → answer →
 * chunks → complete. Chunks travel as binary frames (256 KiB, a window of
 * FILE_WINDOW_CHUNKS credited by the recipient's acks through the server) when
 * both sides speak them, else as base64 `fileChunk` requests ({@link FILE_CHUNK_WINDOW}
 * in flight; the server's answers are the backpressure). Files are read a slice at
 * a time; the recipient hashes chunks as they arrive and verifies SHA-256 itself.
 */
@Injectable({ providedIn: 'root' })
export class FileTransferService {
  private readonly signaling = inject(SignalingClient);
  private readonly logger = new Logger('FileTransferService');
  private readonly transfersCell = new State<readonly FileTransfer[]>([]);
  private readonly active = new Map<string, Active>();
  /** Answers that overtook the `fileOffer` response. */
  private readonly earlyAnswers = new Map<string, FileAnsweredNotification>();

  /** Every transfer of this session, newest last. */
  readonly transfers = this.transfersCell.signal;
  readonly transfers$ = this.transfersCell.changes$;

  constructor() {
    const s = this.signaling;
    const sub = new Subscription();
    sub.add(s.handle('fileChunk', (data) => this.onChunk(data)));
    sub.add(s.on('fileOffered').subscribe((offer) => this.onOffered(offer)));
    sub.add(s.on('fileAnswered').subscribe((answer) => this.onAnswered(answer)));
    sub.add(s.binary$.subscribe((frame) => this.onFrame(frame)));
    // Frames are not kept across a socket drop: a binary transfer in flight cannot go on.
    sub.add(
      s.state$.pipe(filter((state) => state === 'reconnecting')).subscribe(() => {
        for (const t of this.transfersCell.value) {
          if (t.status !== 'transferring' || !this.active.get(t.transferId)?.binary) continue;
          this.fail(t.transferId, 'failed', new FileTransferError('failed', 'Transfer interrupted: the connection dropped.'));
          void s.request('fileCancel', { transferId: t.transferId, reason: 'connection dropped' }).catch(() => undefined);
        }
      }),
    );
    sub.add(s.on('fileTransferCompleted').subscribe(({ transferId, sha256 }) => void this.onCompleted(transferId, sha256)));
    sub.add(
      s.on('fileTransferCancelled').subscribe(({ transferId, reason }) => {
        const code = /checksum|sha-?256/i.test(reason) ? 'checksum_mismatch' : 'cancelled';
        this.fail(transferId, code === 'cancelled' ? 'cancelled' : 'failed', new FileTransferError(code, `Transfer stopped: ${reason}`));
      }),
    );
    inject(DestroyRef).onDestroy(() => sub.unsubscribe());
  }

  /**
   * Offers `file` to `peerId`; resolves with the transfer id once the server
   * registered the offer. The transfer goes on in the background: follow it with
   * `transfers`, `progress$()` or `completion()`. Rejects with
   * `FileTransferError('too_large')` above the server's limit.
   */
  async send(peerId: string, file: Blob, name = (file as File).name ?? 'file'): Promise<string> {
    const limits = this.signaling.session()?.limits;
    if (limits && file.size > limits.maxFileBytes) {
      throw new FileTransferError('too_large', `"${name}" is ${formatBytes(file.size)}; the limit is ${formatBytes(limits.maxFileBytes)}.`);
    }
    // Hashed a slice at a time: a large file is never in memory whole.
    const sha256 = await sha256OfBlob(file, FILE_FRAME_CHUNK_BYTES * 4);
    const mimeType = file.type || 'application/octet-stream';
    const { transferId } = await this.signaling.request('fileOffer', { to: peerId, name, size: file.size, mimeType, sha256, binary: true });
    this.track(transferId, file);
    this.upsert({
      transferId,
      direction: 'outgoing',
      peerId,
      name,
      size: file.size,
      mimeType,
      sha256,
      status: 'offered',
      bytes: 0,
      rate: 0,
      error: null,
      blob: null,
    });
    const early = this.earlyAnswers.get(transferId);
    if (early !== undefined) {
      this.earlyAnswers.delete(transferId);
      this.onAnswered(early);
    }
    return transferId;
  }

  /** Accepts an incoming offer; chunks start arriving. */
  async accept(transferId: string): Promise<void> {
    const transfer = this.get(transferId);
    if (!transfer || transfer.direction !== 'incoming' || transfer.status !== 'offered') return;
    this.patch(transferId, { status: 'transferring' });
    const active = this.active.get(transferId);
    if (active) active.startedAt = Date.now();
    try {
      // Binary frames if the sender speaks them too (the server says so in `fileAnswered`), else base64 requests.
      await this.signaling.request('fileAnswer', { transferId, accept: true, binary: true });
    } catch (error) {
      this.fail(transferId, 'failed', new FileTransferError('failed', (error as Error).message));
    }
  }

  /** Declines an incoming offer. */
  async decline(transferId: string): Promise<void> {
    const transfer = this.get(transferId);
    if (!transfer || transfer.direction !== 'incoming' || transfer.status !== 'offered') return;
    this.fail(transferId, 'declined', new FileTransferError('declined', 'You declined the file.'));
    await this.signaling.request('fileAnswer', { transferId, accept: false }).catch(() => undefined);
  }

  /** Stops a transfer in either direction; the other side gets `fileTransferCancelled`. */
  async cancel(transferId: string, reason = 'cancelled by the user'): Promise<void> {
    const transfer = this.get(transferId);
    if (!transfer || FINAL.includes(transfer.status)) return;
    this.fail(transferId, 'cancelled', new FileTransferError('cancelled', 'Transfer cancelled.'));
    await this.signaling.request('fileCancel', { transferId, reason }).catch(() => undefined);
  }

  /** Progress of one transfer; completes when it completes, errors with a {@link FileTransferError}. */
  progress$(transferId: string): Observable<FileTransferProgress> {
    const active = this.active.get(transferId);
    if (!active) throw new FileTransferError('failed', `unknown transfer ${transferId}`);
    return active.progress.asObservable();
  }

  /** Resolves with the completed transfer (incoming: with its verified `blob`). */
  completion(transferId: string): Promise<FileTransfer> {
    const active = this.active.get(transferId);
    if (active) return active.done;
    const transfer = this.get(transferId);
    if (transfer?.status === 'completed') return Promise.resolve(transfer);
    return Promise.reject(transfer?.error ?? new FileTransferError('failed', `unknown transfer ${transferId}`));
  }

  /** Forgets finished transfers. */
  clearFinished(): void {
    this.transfersCell.update((list) => list.filter((t) => !FINAL.includes(t.status)));
  }

  // ---- outgoing --------------------------------------------------------------------

  private onAnswered(answer: FileAnsweredNotification): void {
    const { transferId, accepted } = answer;
    const transfer = this.get(transferId);
    if (!transfer) {
      this.earlyAnswers.set(transferId, answer);
      return;
    }
    if (transfer.direction !== 'outgoing' || transfer.status !== 'offered') return;
    if (!accepted) {
      this.fail(transferId, 'declined', new FileTransferError('declined', `"${transfer.name}" was declined.`));
      return;
    }
    this.patch(transferId, { status: 'transferring' });
    const active = this.active.get(transferId);
    if (active) active.binary = answer.binary === true;
    void this.pump(transferId);
  }

  private async pump(transferId: string): Promise<void> {
    const active = this.active.get(transferId);
    const file = active?.file;
    if (!active || !file) return;
    active.startedAt = Date.now();
    const stillRunning = () => this.get(transferId)?.status === 'transferring';
    try {
      await (active.binary ? this.sendFrames(transferId, active, file, stillRunning) : this.sendRequests(transferId, file, stillRunning));
      if (!stillRunning()) return;
      this.patch(transferId, { status: 'verifying' });
      await this.signaling.request('fileComplete', { transferId });
    } catch (error) {
      if (!stillRunning() && this.get(transferId)?.status !== 'verifying') return;
      this.logger.warn(`transfer failed | transfer=${transferId}`, error);
      this.fail(transferId, 'failed', new FileTransferError('failed', `Transfer failed: ${(error as Error).message}`));
      await this.signaling.request('fileCancel', { transferId, reason: 'sender failed' }).catch(() => undefined);
    }
  }

  /**
   * Binary frames: slices of FILE_FRAME_CHUNK_BYTES read in order, at most
   * FILE_WINDOW_CHUNKS beyond the last chunk the server credited (the
   * recipient's acks, passed on once its socket drained).
   */
  private sendFrames(transferId: string, active: Active, file: Blob, stillRunning: () => boolean): Promise<void> {
    const count = Math.ceil(file.size / FILE_FRAME_CHUNK_BYTES);
    let next = 0;
    let credited = 0;
    let reading = false;
    return new Promise<void>((resolve, reject) => {
      const fill = async (): Promise<void> => {
        if (reading) return;
        reading = true;
        try {
          while (stillRunning() && next < count && next < credited + FILE_WINDOW_CHUNKS) {
            const seq = next;
            const chunk = await readBlob(file.slice(seq * FILE_FRAME_CHUNK_BYTES, Math.min(file.size, (seq + 1) * FILE_FRAME_CHUNK_BYTES)));
            if (!stillRunning()) break;
            if (!this.signaling.sendBinary(encodeFileChunkFrame(transferId, seq, chunk))) throw new Error('the connection is not open');
            next++;
          }
        } catch (error) {
          reject(error as Error);
        } finally {
          reading = false;
        }
        if (!stillRunning() || credited >= count) resolve();
      };
      active.onAck = (seq) => {
        if (seq < credited || seq >= next) return;
        credited = seq + 1;
        this.progress(transferId, Math.min(file.size, credited * FILE_FRAME_CHUNK_BYTES));
        if (credited >= count) resolve();
        else void fill();
      };
      void fill();
    });
  }

  /** The base64 path, for recipients without binary frames: `fileChunk` requests, {@link FILE_CHUNK_WINDOW} in flight. */
  private async sendRequests(transferId: string, file: Blob, stillRunning: () => boolean): Promise<void> {
    const chunkBytes = this.signaling.session()?.limits.fileChunkBytes ?? 64 * 1024;
    const count = Math.ceil(file.size / chunkBytes);
    let next = 0;
    let acked = 0;
    const lane = async (): Promise<void> => {
      while (stillRunning() && next < count) {
        const seq = next++;
        const chunk = await readBlob(file.slice(seq * chunkBytes, Math.min(file.size, (seq + 1) * chunkBytes)));
        await this.signaling.request('fileChunk', { transferId, seq, data: bytesToBase64(chunk) });
        acked += chunk.byteLength;
        if (stillRunning()) this.progress(transferId, acked);
      }
    };
    await Promise.all(Array.from({ length: FILE_CHUNK_WINDOW }, lane));
  }

  // ---- incoming --------------------------------------------------------------------

  private onOffered(offer: FileOfferedNotification): void {
    this.track(offer.transferId, null);
    this.upsert({
      transferId: offer.transferId,
      direction: 'incoming',
      peerId: offer.from,
      name: offer.name,
      size: offer.size,
      mimeType: offer.mimeType,
      sha256: offer.sha256,
      status: 'offered',
      bytes: 0,
      rate: 0,
      error: null,
      blob: null,
    });
  }

  private onChunk({ transferId, seq, data }: FileChunkDelivery): Empty {
    this.store(transferId, seq, base64ToBytes(data));
    return {};
  }

  /** A binary frame: a chunk for an incoming transfer (stored, then acked) or an ack for an outgoing one. */
  private onFrame(bytes: Uint8Array): void {
    try {
      const frame = decodeFileFrame(bytes);
      if (frame.kind === 'ack') {
        this.active.get(frame.transferId)?.onAck?.(frame.seq);
        return;
      }
      this.store(frame.transferId, frame.seq, frame.data);
      this.signaling.sendBinary(encodeFileAckFrame(frame.transferId, frame.seq));
    } catch (error) {
      // The server checked the frame before relaying it: this is a bug on one side, not something to answer.
      this.logger.warn(`file frame ignored | ${(error as Error).message}`);
      if (!(error instanceof FileFrameError) && !(error instanceof SignalingError)) throw error;
    }
  }

  /** Keeps chunk `seq` of an incoming transfer (in order) and hashes it. */
  private store(transferId: string, seq: number, chunk: Uint8Array): void {
    const transfer = this.get(transferId);
    const active = this.active.get(transferId);
    if (!transfer || !active || transfer.direction !== 'incoming' || transfer.status !== 'transferring') {
      throw new SignalingError('invalid_state', `not receiving transfer ${transferId}`);
    }
    if (seq !== active.chunks.length) throw new SignalingError('invalid_state', `expected chunk ${active.chunks.length}, got ${seq}`);
    if (transfer.bytes + chunk.byteLength > transfer.size) throw new SignalingError('invalid_state', 'more bytes than offered');
    active.chunks.push(chunk);
    active.hash.update(chunk);
    this.progress(transferId, transfer.bytes + chunk.byteLength);
  }

  private async onCompleted(transferId: string, sha256: string): Promise<void> {
    const transfer = this.get(transferId);
    const active = this.active.get(transferId);
    if (!transfer || !active || FINAL.includes(transfer.status)) return;
    if (transfer.direction === 'outgoing') {
      this.finish(transferId, { status: 'completed', bytes: transfer.size });
      return;
    }
    this.patch(transferId, { status: 'verifying' });
    // Hashed as the chunks came; only the digest is left to compute.
    const actual = active.hash.digestHex();
    if (transfer.bytes !== transfer.size || actual !== transfer.sha256 || actual !== sha256) {
      this.fail(transferId, 'failed', new FileTransferError('checksum_mismatch', `"${transfer.name}" arrived damaged (checksum mismatch); it was discarded.`));
      return;
    }
    this.finish(transferId, { status: 'completed', blob: new Blob(active.chunks as Uint8Array<ArrayBuffer>[], { type: transfer.mimeType }) });
  }

  // ---- bookkeeping -----------------------------------------------------------------

  private track(transferId: string, file: Blob | null): void {
    const { promise: done, resolve, reject } = deferred<FileTransfer>();
    const total = file?.size ?? 0;
    this.active.set(transferId, {
      file,
      chunks: [],
      hash: createSha256(),
      binary: false,
      onAck: null,
      startedAt: Date.now(),
      progress: new BehaviorSubject<FileTransferProgress>({ bytes: 0, total, rate: 0 }),
      done,
      resolve,
      reject,
    });
  }

  private progress(transferId: string, bytes: number): void {
    const active = this.active.get(transferId);
    const transfer = this.get(transferId);
    if (!active || !transfer) return;
    const seconds = Math.max(0.001, (Date.now() - active.startedAt) / 1000);
    const rate = Math.round(bytes / seconds);
    this.patch(transferId, { bytes, rate });
    active.progress.next({ bytes, total: transfer.size, rate });
  }

  private finish(transferId: string, patch: Partial<FileTransfer>): void {
    this.patch(transferId, patch);
    const active = this.active.get(transferId);
    const transfer = this.get(transferId);
    this.active.delete(transferId);
    if (active && transfer) {
      active.progress.next({ bytes: transfer.size, total: transfer.size, rate: transfer.rate });
      active.progress.complete();
      active.resolve(transfer);
    }
  }

  private fail(transferId: string, status: FileTransferStatus, error: FileTransferError): void {
    const transfer = this.get(transferId);
    if (!transfer || FINAL.includes(transfer.status)) return;
    this.logger.debug(`transfer ${status} | transfer=${transferId} code=${error.code}`);
    this.patch(transferId, { status, error });
    const active = this.active.get(transferId);
    this.active.delete(transferId);
    active?.progress.error(error);
    active?.reject(error);
  }

  private get(transferId: string): FileTransfer | undefined {
    return this.transfersCell.value.find((t) => t.transferId === transferId);
  }

  private upsert(transfer: FileTransfer): void {
    this.transfersCell.update((list) => [...list.filter((t) => t.transferId !== transfer.transferId), transfer]);
  }

  private patch(transferId: string, patch: Partial<FileTransfer>): void {
    this.transfersCell.update((list) => list.map((t) => (t.transferId === transferId ? { ...t, ...patch } : t)));
  }
}
