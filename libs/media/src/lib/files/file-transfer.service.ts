import { DestroyRef, Injectable, inject } from '@angular/core';
import { SignalingError, type Empty, type FileChunkDelivery, type FileOfferedNotification } from '@confer/signaling-contracts';
import { BehaviorSubject, Subscription, type Observable } from 'rxjs';
import { SignalingClient } from '../signaling/signaling-client';
import { deferred } from '../util/deferred';
import { Logger } from '../util/logger';
import { State } from '../util/state';
import { base64ToBytes, bytesToBase64, readBlob, sha256Hex } from './file-encoding';

/** Chunks in flight at once: the server answers each only after the recipient stored it. */
export const FILE_CHUNK_WINDOW = 4;

/** Why a transfer did not complete. */
export type FileTransferErrorCode = 'too_large' | 'declined' | 'checksum_mismatch' | 'cancelled' | 'failed';

/** A transfer that did not complete, with a message fit for the user. */
export class FileTransferError extends Error {
  override readonly name = 'FileTransferError';

  constructor(
    readonly code: FileTransferErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * - `offered`: waiting for the recipient to accept (outgoing) or for this user (incoming).
 * - `transferring`: chunks flowing. - `verifying`: all bytes here, checking SHA-256.
 * - `completed`, `declined`, `cancelled`, `failed`: final.
 */
export type FileTransferStatus = 'offered' | 'transferring' | 'verifying' | 'completed' | 'declined' | 'cancelled' | 'failed';

/** One transfer as the UI shows it. */
export interface FileTransfer {
  transferId: string;
  direction: 'outgoing' | 'incoming';
  /** The other side. */
  peerId: string;
  name: string;
  size: number;
  mimeType: string;
  sha256: string;
  status: FileTransferStatus;
  /** Bytes acknowledged (outgoing) or received (incoming). */
  bytes: number;
  /** Bytes per second since the transfer started. */
  rate: number;
  error: FileTransferError | null;
  /** The verified file, for a completed incoming transfer. */
  blob: Blob | null;
}

/** Progress of one transfer. */
export interface FileTransferProgress {
  bytes: number;
  total: number;
  rate: number;
}

interface Active {
  bytes: Uint8Array | null;
  chunks: Uint8Array[];
  startedAt: number;
  progress: BehaviorSubject<FileTransferProgress>;
  done: Promise<FileTransfer>;
  resolve: (t: FileTransfer) => void;
  reject: (e: FileTransferError) => void;
}

const FINAL: readonly FileTransferStatus[] = ['completed', 'declined', 'cancelled', 'failed'];

/**
 * Peer-to-peer file transfer relayed over the signaling channel: offer → answer →
 * chunks (a window of {@link FILE_CHUNK_WINDOW} in flight; the server's answers are
 * the backpressure) → complete. The recipient verifies SHA-256 itself as well.
 */
@Injectable({ providedIn: 'root' })
export class FileTransferService {
  private readonly signaling = inject(SignalingClient);
  private readonly logger = new Logger('FileTransferService');
  private readonly transfersCell = new State<readonly FileTransfer[]>([]);
  private readonly active = new Map<string, Active>();
  /** Answers that overtook the `fileOffer` response. */
  private readonly earlyAnswers = new Map<string, boolean>();

  /** Every transfer of this session, newest last. */
  readonly transfers = this.transfersCell.signal;
  readonly transfers$ = this.transfersCell.changes$;

  constructor() {
    const s = this.signaling;
    const sub = new Subscription();
    sub.add(s.handle('fileChunk', (data) => this.onChunk(data)));
    sub.add(s.on('fileOffered').subscribe((offer) => this.onOffered(offer)));
    sub.add(s.on('fileAnswered').subscribe(({ transferId, accepted }) => this.onAnswered(transferId, accepted)));
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
    const bytes = await readBlob(file);
    const sha256 = await sha256Hex(bytes);
    const mimeType = file.type || 'application/octet-stream';
    const { transferId } = await this.signaling.request('fileOffer', { to: peerId, name, size: bytes.byteLength, mimeType, sha256 });
    this.track(transferId, bytes);
    this.upsert({
      transferId,
      direction: 'outgoing',
      peerId,
      name,
      size: bytes.byteLength,
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
      this.onAnswered(transferId, early);
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
      await this.signaling.request('fileAnswer', { transferId, accept: true });
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

  private onAnswered(transferId: string, accepted: boolean): void {
    const transfer = this.get(transferId);
    if (!transfer) {
      this.earlyAnswers.set(transferId, accepted);
      return;
    }
    if (transfer.direction !== 'outgoing' || transfer.status !== 'offered') return;
    if (!accepted) {
      this.fail(transferId, 'declined', new FileTransferError('declined', `"${transfer.name}" was declined.`));
      return;
    }
    this.patch(transferId, { status: 'transferring' });
    void this.pump(transferId);
  }

  private async pump(transferId: string): Promise<void> {
    const active = this.active.get(transferId);
    const bytes = active?.bytes;
    if (!active || !bytes) return;
    active.startedAt = Date.now();
    const chunkBytes = this.signaling.session()?.limits.fileChunkBytes ?? 64 * 1024;
    const count = Math.ceil(bytes.byteLength / chunkBytes);
    let next = 0;
    let acked = 0;
    const stillRunning = () => this.get(transferId)?.status === 'transferring';
    try {
      await new Promise<void>((resolve, reject) => {
        let inFlight = 0;
        const launch = (): void => {
          if (!stillRunning()) return resolve();
          if (next >= count && inFlight === 0) return resolve();
          while (inFlight < FILE_CHUNK_WINDOW && next < count) {
            const seq = next++;
            const chunk = bytes.subarray(seq * chunkBytes, Math.min(bytes.byteLength, (seq + 1) * chunkBytes));
            inFlight++;
            this.signaling.request('fileChunk', { transferId, seq, data: bytesToBase64(chunk) }).then(() => {
              inFlight--;
              acked += chunk.byteLength;
              this.progress(transferId, acked);
              launch();
            }, reject);
          }
        };
        launch();
      });
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
    const transfer = this.get(transferId);
    const active = this.active.get(transferId);
    if (!transfer || !active || transfer.direction !== 'incoming' || transfer.status !== 'transferring') {
      throw new SignalingError('invalid_state', `not receiving transfer ${transferId}`);
    }
    if (seq !== active.chunks.length) throw new SignalingError('invalid_state', `expected chunk ${active.chunks.length}, got ${seq}`);
    const chunk = base64ToBytes(data);
    if (transfer.bytes + chunk.byteLength > transfer.size) throw new SignalingError('invalid_state', 'more bytes than offered');
    active.chunks.push(chunk);
    this.progress(transferId, transfer.bytes + chunk.byteLength);
    return {};
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
    const bytes = concat(active.chunks, transfer.bytes);
    const actual = await sha256Hex(bytes);
    if (bytes.byteLength !== transfer.size || actual !== transfer.sha256 || actual !== sha256) {
      this.fail(transferId, 'failed', new FileTransferError('checksum_mismatch', `"${transfer.name}" arrived damaged (checksum mismatch); it was discarded.`));
      return;
    }
    this.finish(transferId, { status: 'completed', blob: new Blob([bytes as Uint8Array<ArrayBuffer>], { type: transfer.mimeType }) });
  }

  // ---- bookkeeping -----------------------------------------------------------------

  private track(transferId: string, bytes: Uint8Array | null): void {
    const { promise: done, resolve, reject } = deferred<FileTransfer>();
    const total = bytes?.byteLength ?? 0;
    this.active.set(transferId, {
      bytes,
      chunks: [],
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

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** "1.5 MB" style sizes for messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
