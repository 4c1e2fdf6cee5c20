import type { BehaviorSubject } from 'rxjs';
import type { Sha256 } from './file-encoding';

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

/** The service's own state of a transfer in progress (not exported from the lib). */
export interface Active {
  /** Outgoing: the file, read a slice at a time. */
  file: Blob | null;
  /** Incoming: chunks as they arrived (the Blob is built from them), hashed as they come. */
  chunks: Uint8Array[];
  hash: Sha256;
  /** Chunks travel as binary frames (file-frames.ts). */
  binary: boolean;
  /** Outgoing binary: told of each ack the server passes on. */
  onAck: ((seq: number) => void) | null;
  startedAt: number;
  progress: BehaviorSubject<FileTransferProgress>;
  done: Promise<FileTransfer>;
  resolve: (t: FileTransfer) => void;
  reject: (e: FileTransferError) => void;
}

/** "1.5 MB" style sizes for messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
