import { createHash, randomBytes } from 'node:crypto';
import {
  FILE_FRAME_CHUNK_BYTES,
  FILE_FRAME_HEADER_BYTES,
  FILE_FRAME_MAX_BYTES,
  FILE_FRAMES_PER_SECOND,
  FILE_WINDOW_CHUNKS,
  decodeFileFrame,
  encodeFileAckFrame,
  encodeFileChunkFrame,
  type ResponseMessage,
} from '@confer/signaling-contracts';
import { FILE_RELAY_BUFFER_BYTES, FilesService } from '../src/files/files.service';
import { fakeBackend } from './support/backends';
import { joinRoom } from './support/scenario';
import type { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

/**
 * The binary fast path of file transfer (file-frames.ts) with real `ws` clients:
 * integrity, the server's bounded buffering under a slow recipient, malformed
 * frames, cancel and a peer leaving mid-way. File transfer needs no media, so
 * only the test double runs.
 */
describe('binary file frames', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const client = async (sub: string): Promise<TestClient> => {
    const c = await server.client(sub);
    clients.push(c);
    await joinRoom(c, 'r', { send: false, recv: false });
    return c;
  };
  const files = (): FilesService => server.app.get(FilesService);

  beforeEach(async () => {
    server = await TestServer.start(fakeBackend, { MAX_FILE_BYTES: String(64 * 1024 * 1024), REQUEST_TIMEOUT_MS: '10000' });
  });

  afterEach(async () => {
    // A paused socket would never finish its closing handshake.
    for (const c of clients) c.socket.resume();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.expectClean();
    await server.stop();
  });

  const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

  async function offerAndAccept(from: TestClient, to: TestClient, bytes: Buffer, binary = true): Promise<string> {
    const { transferId } = await from.request('fileOffer', { to: to.peerId, name: 'big.bin', size: bytes.length, mimeType: 'application/octet-stream', sha256: sha(bytes), binary: true });
    await to.waitForNotification('fileOffered', (o) => o.transferId === transferId);
    await to.request('fileAnswer', { transferId, accept: true, binary });
    const answered = await from.waitForNotification('fileAnswered', (a) => a.transferId === transferId);
    expect(answered).toEqual({ transferId, accepted: true, ...(binary ? { binary: true } : {}) });
    return transferId;
  }

  /** A recipient that hashes chunks as they come and acks each (or, with `read: false`, never reads its socket). */
  function receive(to: TestClient, transferId: string): { hash: () => string; bytes: () => number; chunks: () => number } {
    const hash = createHash('sha256');
    let bytes = 0;
    let chunks = 0;
    to.onBinary((raw) => {
      const frame = decodeFileFrame(raw);
      if (frame.kind !== 'chunk' || frame.transferId !== transferId) return;
      expect(frame.seq).toBe(chunks);
      chunks++;
      hash.update(frame.data);
      bytes += frame.data.byteLength;
      to.sendBinary(encodeFileAckFrame(transferId, frame.seq));
    });
    return { hash: () => hash.digest('hex'), bytes: () => bytes, chunks: () => chunks };
  }

  /** Sends `bytes` as chunk frames, keeping within the window the server's acks credit. */
  function send(from: TestClient, transferId: string, bytes: Buffer): { done: Promise<void>; sent: () => number; credited: () => number } {
    const count = Math.ceil(bytes.length / FILE_FRAME_CHUNK_BYTES);
    let next = 0;
    let credited = 0;
    const done = new Promise<void>((resolve) => {
      const pump = (): void => {
        while (next < count && next < credited + FILE_WINDOW_CHUNKS) {
          const seq = next++;
          from.sendBinary(encodeFileChunkFrame(transferId, seq, bytes.subarray(seq * FILE_FRAME_CHUNK_BYTES, (seq + 1) * FILE_FRAME_CHUNK_BYTES)));
        }
      };
      from.onBinary((raw) => {
        const frame = decodeFileFrame(raw);
        if (frame.kind !== 'ack' || frame.transferId !== transferId) return;
        credited = frame.seq + 1;
        if (credited >= count) resolve();
        else pump();
      });
      pump();
    });
    return { done, sent: () => next, credited: () => credited };
  }

  const frameErrors = (c: TestClient): ResponseMessage[] => c.orphanErrors.filter((e) => !e.ok);
  const codes = (c: TestClient): string[] => frameErrors(c).map((e) => (e.ok ? '' : e.error.code));

  it('moves 24 MB with integrity checked by the recipient and the server, buffering at most one window', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const bytes = randomBytes(24 * 1024 * 1024 + 12_345);
    const transferId = await offerAndAccept(alice, bob, bytes);
    const got = receive(bob, transferId);
    files().peakRelayBufferedBytes = 0;
    await send(alice, transferId, bytes).done;
    await alice.request('fileComplete', { transferId });
    for (const c of [alice, bob]) await c.waitForNotification('fileTransferCompleted', (n) => n.transferId === transferId && n.sha256 === sha(bytes));
    expect(got.bytes()).toBe(bytes.length);
    expect(got.hash()).toBe(sha(bytes));
    expect(files().peakRelayBufferedBytes).toBeLessThanOrEqual(FILE_RELAY_BUFFER_BYTES);
    expect(frameErrors(alice).concat(frameErrors(bob))).toEqual([]);
    expect(files().active).toBe(0);
  }, 60_000);

  it('a recipient that stops reading holds the sender at one window; the server buffers no more', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const bytes = randomBytes(16 * 1024 * 1024);
    const transferId = await offerAndAccept(alice, bob, bytes);
    const got = receive(bob, transferId);
    bob.socket.pause();
    files().peakRelayBufferedBytes = 0;
    const sending = send(alice, transferId, bytes);
    await new Promise((r) => setTimeout(r, 500));
    expect(sending.sent()).toBe(FILE_WINDOW_CHUNKS);
    expect(sending.credited()).toBe(0);
    expect(files().peakRelayBufferedBytes).toBeLessThanOrEqual(FILE_RELAY_BUFFER_BYTES);
    // A sender that ignores the window is refused and the transfer cancelled.
    alice.sendBinary(encodeFileChunkFrame(transferId, FILE_WINDOW_CHUNKS, Buffer.alloc(10)));
    await alice.until(() => codes(alice).includes('limit_exceeded'), 'limit_exceeded for a chunk beyond the window');
    await alice.waitForNotification('fileTransferCancelled', (n) => n.transferId === transferId && /beyond the window/.test(n.reason));
    bob.socket.resume();
    await bob.waitForNotification('fileTransferCancelled', (n) => n.transferId === transferId);
    expect(got.chunks()).toBe(FILE_WINDOW_CHUNKS);
  }, 30_000);

  it('a recipient that acks without reading gets no credit past its full socket: at most two windows buffered', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const bytes = randomBytes(24 * 1024 * 1024);
    const transferId = await offerAndAccept(alice, bob, bytes);
    bob.socket.pause();
    files().peakRelayBufferedBytes = 0;
    const sending = send(alice, transferId, bytes);
    // Blind acks, without reading anything, of every chunk the server relayed (as a hostile client could guess).
    let acked = 0;
    const blind = setInterval(() => {
      const relayed = files().relayState(transferId)?.relayed ?? 0;
      while (acked < relayed) bob.sendBinary(encodeFileAckFrame(transferId, acked++));
    }, 10);
    await new Promise((r) => setTimeout(r, 800));
    clearInterval(blind);
    expect(sending.sent()).toBeLessThanOrEqual(3 * FILE_WINDOW_CHUNKS);
    expect(files().peakRelayBufferedBytes).toBeLessThanOrEqual(2 * FILE_RELAY_BUFFER_BYTES);
    expect(alice.notificationsOf('fileTransferCancelled')).toEqual([]);
    await alice.request('fileCancel', { transferId, reason: 'enough' });
    bob.socket.resume();
    await bob.waitForNotification('fileTransferCancelled', (n) => n.transferId === transferId && n.reason === 'enough');
  }, 30_000);

  it('answers malformed frames with typed errors, cancels only the transfer a frame broke, and never disturbs others', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const carol = await client('carol');
    const dave = await client('dave');
    // carol → dave runs all along and must complete.
    const other = randomBytes(6 * 1024 * 1024);
    const otherId = await offerAndAccept(carol, dave, other);
    const otherGot = receive(dave, otherId);
    const otherSending = send(carol, otherId, other);

    const bytes = randomBytes(1024 * 1024);
    const transferId = await offerAndAccept(alice, bob, bytes);
    const expectError = async (c: TestClient, frame: Uint8Array, code: string): Promise<void> => {
      const before = frameErrors(c).length;
      c.sendBinary(frame);
      await c.until(() => frameErrors(c).length > before, `an error for a bad frame (${code})`);
      expect(frameErrors(c)[before]).toMatchObject({ id: null, ok: false, error: { code } });
    };
    await expectError(alice, Buffer.alloc(FILE_FRAME_HEADER_BYTES - 1), 'invalid_request');
    const unknownKind = encodeFileAckFrame(transferId, 0);
    unknownKind[0] = 9;
    await expectError(alice, unknownKind, 'invalid_request');
    await expectError(alice, Buffer.concat([encodeFileChunkFrame(transferId, 0, Buffer.alloc(1)), Buffer.alloc(FILE_FRAME_MAX_BYTES)]), 'limit_exceeded');
    await expectError(alice, encodeFileChunkFrame('00000000-0000-4000-8000-000000000000', 0, Buffer.alloc(1)), 'not_found');
    await expectError(carol, encodeFileChunkFrame(transferId, 0, Buffer.alloc(1)), 'forbidden');
    await expectError(bob, encodeFileChunkFrame(transferId, 0, Buffer.alloc(1)), 'forbidden');
    await expectError(alice, encodeFileAckFrame(transferId, 0), 'forbidden');
    expect(files().active).toBe(2);

    // An ack of a chunk never relayed breaks the transfer: cancelled for both.
    await expectError(bob, encodeFileAckFrame(transferId, 3), 'invalid_request');
    await alice.waitForNotification('fileTransferCancelled', (n) => n.transferId === transferId);
    // Afterwards its frames are simply unknown.
    await expectError(alice, encodeFileChunkFrame(transferId, 0, Buffer.alloc(1)), 'not_found');

    // Out of order on a fresh transfer: cancelled too.
    const second = await offerAndAccept(alice, bob, bytes);
    await expectError(alice, encodeFileChunkFrame(second, 1, Buffer.alloc(1)), 'invalid_request');
    await bob.waitForNotification('fileTransferCancelled', (n) => n.transferId === second && /expected chunk 0/.test(n.reason));

    // A transfer whose recipient did not ask for frames keeps to fileChunk requests.
    const json = await offerAndAccept(alice, bob, bytes, false);
    await expectError(alice, encodeFileChunkFrame(json, 0, Buffer.alloc(1)), 'invalid_state');
    expect((await alice.requestError('fileChunk', { transferId: second, seq: 0, data: 'AAAA' })).code).toBe('not_found');
    await alice.request('fileCancel', { transferId: json });

    // Before authenticate.
    const stranger = await server.client('stranger').then(async (c) => (clients.push(c), c));
    stranger.sendBinary(encodeFileAckFrame(otherId, 0));
    await stranger.until(() => frameErrors(stranger).length > 0, 'an error for a frame of an outsider');
    expect(codes(stranger)).toEqual(['forbidden']);

    await otherSending.done;
    await carol.request('fileComplete', { transferId: otherId });
    await dave.waitForNotification('fileTransferCompleted', (n) => n.transferId === otherId);
    expect(otherGot.hash()).toBe(sha(other));
    expect(frameErrors(carol).filter((e) => !e.ok && e.error.code !== 'forbidden')).toEqual([]);
    expect(frameErrors(dave)).toEqual([]);
  }, 30_000);

  it('refuses frames before authenticate and past the per-peer frame rate', async () => {
    const { TestClient } = await import('./support/test-client');
    const anonymous = await TestClient.connect(server.url);
    clients.push(anonymous);
    anonymous.sendBinary(encodeFileAckFrame('00000000-0000-4000-8000-000000000000', 0));
    await anonymous.until(() => frameErrors(anonymous).length > 0, 'an error for an anonymous frame');
    expect(codes(anonymous)).toEqual(['unauthenticated']);

    const alice = await client('alice');
    const frame = encodeFileAckFrame('00000000-0000-4000-8000-000000000000', 0);
    const burst = 3 * FILE_FRAMES_PER_SECOND;
    for (let i = 0; i < burst; i++) alice.sendBinary(frame);
    await alice.until(() => frameErrors(alice).length >= burst, 'an answer to every frame', 20_000);
    expect(codes(alice).filter((c) => c === 'limit_exceeded').length).toBeGreaterThan(0);
    expect(new Set(codes(alice))).toEqual(new Set(['not_found', 'limit_exceeded']));
    // The socket and the session are still fine.
    expect((await alice.request('chatMessage', { text: 'still here' })).messageId).toBeTruthy();
  }, 30_000);

  it('cancel mid-way and a peer leaving mid-way stop the transfer on both sides and leave nothing behind', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const bytes = randomBytes(8 * 1024 * 1024);
    const first = await offerAndAccept(alice, bob, bytes);
    const got = receive(bob, first);
    const sending = send(alice, first, bytes);
    await bob.until(() => got.chunks() >= 4, 'a few chunks');
    await bob.request('fileCancel', { transferId: first, reason: 'no thanks' });
    const cancelled = await alice.waitForNotification('fileTransferCancelled', (n) => n.transferId === first);
    expect(cancelled).toMatchObject({ by: bob.peerId, reason: 'no thanks' });
    expect(sending.credited()).toBeLessThan(Math.ceil(bytes.length / FILE_FRAME_CHUNK_BYTES));
    expect(files().active).toBe(0);

    const second = await offerAndAccept(alice, bob, bytes);
    const got2 = receive(bob, second);
    send(alice, second, bytes);
    await bob.until(() => got2.chunks() >= 2, 'a few chunks');
    await bob.close();
    const left = await alice.waitForNotification('fileTransferCancelled', (n) => n.transferId === second);
    // Whichever comes first: a relayed chunk finds no socket, or the session's clean-up.
    expect(left.reason).toMatch(/peer left|recipient is not connected/);
    expect(files().active).toBe(0);
  }, 30_000);
});
