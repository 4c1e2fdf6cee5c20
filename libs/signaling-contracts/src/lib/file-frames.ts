/**
 * Binary file frames: the fast path of file transfer. Once a recipient answered
 * `fileAnswer` with `binary: true` (and the sender was told so in
 * `fileAnswered.binary`), chunks travel as binary WebSocket frames instead of
 * base64 `fileChunk` requests, and the recipient acknowledges each with an ack
 * frame that the server relays to the sender as credit.
 *
 * Layout (big-endian), {@link FILE_FRAME_HEADER_BYTES} bytes of header:
 *
 * | offset | bytes | field |
 * |---|---|---|
 * | 0 | 1 | kind: 1 chunk (sender → server → recipient), 2 ack (recipient → server → sender) |
 * | 1 | 16 | transfer id: the UUID's 16 bytes |
 * | 17 | 4 | seq: chunk number, 0-based, consecutive (uint32) |
 * | 21 | rest | chunk: 1 to {@link FILE_FRAME_CHUNK_BYTES} bytes of the file; ack: nothing |
 *
 * Flow control: the sender may have at most {@link FILE_WINDOW_CHUNKS} chunks not
 * yet credited (seq < credited + window); an ack of seq n credits chunks 0…n.
 * The server forwards a recipient's ack only once that recipient's socket has
 * drained below the window, so a slow recipient holds the sender back and the
 * server never buffers more than one window per transfer.
 *
 * Errors: a frame that cannot be read (too short, too long, unknown kind) or
 * sent before `authenticate` is answered with an error response whose `id` is
 * null (`invalid_request`, `limit_exceeded`, `unauthenticated`); a frame for a
 * transfer that does not exist or is not the sender's gets `not_found` /
 * `forbidden` the same way; a frame that breaks an accepted transfer's rules
 * (a seq out of order or beyond the window, more bytes than offered, an ack of a
 * chunk not yet relayed) also cancels that transfer (`fileTransferCancelled` to
 * both sides). Nothing a frame does reaches another transfer or peer.
 *
 * Plain `Uint8Array` / `DataView`: the same code runs in browsers and Node.
 */
export const FILE_FRAME_KIND = {
  chunk: 1,
  ack: 2,
} as const;
export type FileFrameKind = keyof typeof FILE_FRAME_KIND;

/** Bytes before a chunk's data: kind (1) + transfer id (16) + seq (4). */
export const FILE_FRAME_HEADER_BYTES = 21;
/** Largest chunk of a binary frame. */
export const FILE_FRAME_CHUNK_BYTES = 256 * 1024;
/** Largest binary frame either side may send; the server refuses larger ones with `limit_exceeded`. */
export const FILE_FRAME_MAX_BYTES = FILE_FRAME_HEADER_BYTES + FILE_FRAME_CHUNK_BYTES;
/** Chunks a sender may have in flight (not yet credited) per transfer: 16 × 256 KiB = 4 MiB. */
export const FILE_WINDOW_CHUNKS = 16;
/** Binary frames per second one peer may send (chunks and acks together); more are refused with `limit_exceeded`. */
export const FILE_FRAMES_PER_SECOND = 2000;

/** One decoded frame. `data` is a view into the frame, not a copy. */
export type FileFrame =
  | { kind: 'chunk'; transferId: string; seq: number; data: Uint8Array }
  | { kind: 'ack'; transferId: string; seq: number };

/** Why a frame could not be read (the server answers `invalid_request` with it). */
export class FileFrameError extends TypeError {
  override readonly name = 'FileFrameError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** True when `transferId` can travel in a frame (a UUID, as the server issues them). */
export function isFrameTransferId(transferId: string): boolean {
  return UUID.test(transferId);
}

/** A chunk frame: header then a copy of `data`. */
export function encodeFileChunkFrame(transferId: string, seq: number, data: Uint8Array): Uint8Array {
  if (data.byteLength < 1 || data.byteLength > FILE_FRAME_CHUNK_BYTES) throw new FileFrameError(`a chunk is 1 to ${FILE_FRAME_CHUNK_BYTES} bytes, not ${data.byteLength}`);
  const frame = new Uint8Array(FILE_FRAME_HEADER_BYTES + data.byteLength);
  writeHeader(frame, FILE_FRAME_KIND.chunk, transferId, seq);
  frame.set(data, FILE_FRAME_HEADER_BYTES);
  return frame;
}

/** An ack frame: the recipient stored chunks 0…`seq`. */
export function encodeFileAckFrame(transferId: string, seq: number): Uint8Array {
  const frame = new Uint8Array(FILE_FRAME_HEADER_BYTES);
  writeHeader(frame, FILE_FRAME_KIND.ack, transferId, seq);
  return frame;
}

/** Reads a frame; throws {@link FileFrameError} when it is not one. */
export function decodeFileFrame(frame: Uint8Array): FileFrame {
  if (frame.byteLength < FILE_FRAME_HEADER_BYTES) throw new FileFrameError(`a file frame has at least ${FILE_FRAME_HEADER_BYTES} bytes, got ${frame.byteLength}`);
  if (frame.byteLength > FILE_FRAME_MAX_BYTES) throw new FileFrameError(`a file frame has at most ${FILE_FRAME_MAX_BYTES} bytes, got ${frame.byteLength}`);
  const kind = frame[0];
  let id = '';
  for (let i = 1; i < 17; i++) {
    id += HEX[frame[i]];
    if (i === 4 || i === 6 || i === 8 || i === 10) id += '-';
  }
  const seq = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(17);
  if (kind === FILE_FRAME_KIND.chunk) {
    if (frame.byteLength === FILE_FRAME_HEADER_BYTES) throw new FileFrameError('a chunk frame carries at least one byte');
    return { kind: 'chunk', transferId: id, seq, data: frame.subarray(FILE_FRAME_HEADER_BYTES) };
  }
  if (kind === FILE_FRAME_KIND.ack) {
    if (frame.byteLength !== FILE_FRAME_HEADER_BYTES) throw new FileFrameError(`an ack frame has exactly ${FILE_FRAME_HEADER_BYTES} bytes`);
    return { kind: 'ack', transferId: id, seq };
  }
  throw new FileFrameError(`unknown file frame kind ${kind}`);
}

function writeHeader(frame: Uint8Array, kind: number, transferId: string, seq: number): void {
  if (!isFrameTransferId(transferId)) throw new FileFrameError(`transfer id ${JSON.stringify(transferId)} is not a UUID`);
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) throw new FileFrameError(`seq must be a uint32, got ${seq}`);
  frame[0] = kind;
  const hex = transferId.replace(/-/g, '');
  for (let i = 0; i < 16; i++) frame[1 + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setUint32(17, seq);
}
