import { TestBed } from '@angular/core/testing';
import { FakeSignalingServer, NO_ANSWER, until } from '../../testing/fake-signaling-server';
import { ChatService } from '../chat/chat.service';
import { SignalingClient } from '../signaling/signaling-client';
import { SIGNALING_OPTIONS, SIGNALING_URL, WEB_SOCKET_FACTORY } from '../tokens';
import { FILE_FRAME_CHUNK_BYTES, FILE_WINDOW_CHUNKS, decodeFileFrame, encodeFileAckFrame, encodeFileChunkFrame } from '@confer/signaling-contracts';
import { bytesToBase64, readBlob, sha256Hex } from './file-encoding';
import { FILE_CHUNK_WINDOW, FileTransferError, FileTransferService } from './file-transfer.service';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 251);

describe('FileTransferService and ChatService', () => {
  let server: FakeSignalingServer;
  let files: FileTransferService;

  beforeEach(async () => {
    server = new FakeSignalingServer();
    TestBed.configureTestingModule({
      providers: [
        { provide: WEB_SOCKET_FACTORY, useValue: server.factory },
        { provide: SIGNALING_URL, useValue: 'ws://test/ws' },
        { provide: SIGNALING_OPTIONS, useValue: { requestTimeoutMs: 1000, reconnectBaseDelayMs: 5, reconnectMaxDelayMs: 20, maxReconnectAttempts: 5 } },
      ],
    });
    files = TestBed.inject(FileTransferService);
    await TestBed.inject(SignalingClient).connect('tok');
  });

  afterEach(() => TestBed.inject(SignalingClient).close());

  it('sends a file: offer with SHA-256, waits for acceptance, keeps at most the window in flight, completes', async () => {
    const data = bytes(10 * 1024 + 5); // 11 chunks of 1 KB
    const held: (() => void)[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    server.on('fileChunk', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Answer later, like the server waiting for the recipient's ack.
      setTimeout(() => {
        inFlight--;
        held.shift()?.();
      }, 2);
      return new Promise((resolve) => held.push(() => resolve({})));
    });
    const transferId = await files.send('bob', new Blob([data], { type: 'application/octet-stream' }), 'data.bin');
    expect(server.requests('fileOffer')[0]).toEqual({ to: 'bob', name: 'data.bin', size: data.length, mimeType: 'application/octet-stream', sha256: await sha256Hex(data), binary: true });
    expect(files.transfers()[0].status).toBe('offered');

    server.notify('fileAnswered', { transferId, accepted: true });
    await until(() => server.requests('fileComplete').length === 1);
    expect(server.requests('fileChunk')).toHaveLength(11);
    expect(maxInFlight).toBeLessThanOrEqual(FILE_CHUNK_WINDOW);
    expect(server.requests('fileChunk').map((c) => c['seq'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    server.notify('fileTransferCompleted', { transferId, sha256: await sha256Hex(data) });
    const done = await files.completion(transferId);
    expect(done).toMatchObject({ status: 'completed', bytes: data.length });
  });

  it('reports a declined offer and refuses files over the limit', async () => {
    const transferId = await files.send('bob', new Blob([bytes(10)]), 'a.txt');
    server.notify('fileAnswered', { transferId, accepted: false });
    await expect(files.completion(transferId)).rejects.toMatchObject({ code: 'declined' });
    await expect(files.send('bob', new Blob([bytes(2 * 1024 * 1024)]), 'big.bin')).rejects.toEqual(expect.any(FileTransferError));
    await expect(files.send('bob', new Blob([bytes(2 * 1024 * 1024)]), 'big.bin')).rejects.toMatchObject({ code: 'too_large' });
  });

  it('receives a file: accept, store chunks in order, verify the checksum', async () => {
    const data = bytes(2500);
    const sha256 = await sha256Hex(data);
    server.notify('fileOffered', { transferId: 't1', from: 'bob', name: 'b.bin', size: data.length, mimeType: 'application/x-test', sha256 });
    await until(() => files.transfers().length === 1);
    await files.accept('t1');
    expect(server.requests('fileAnswer')).toEqual([{ transferId: 't1', accept: true, binary: true }]);
    for (let seq = 0; seq * 1024 < data.length; seq++) {
      const answer = await server.request('fileChunk', { transferId: 't1', seq, data: bytesToBase64(data.subarray(seq * 1024, (seq + 1) * 1024)) });
      expect(answer).toMatchObject({ ok: true });
    }
    expect(files.transfers()[0].bytes).toBe(data.length);
    server.notify('fileTransferCompleted', { transferId: 't1', sha256 });
    const done = await files.completion('t1');
    expect(done.status).toBe('completed');
    expect(done.blob?.size).toBe(data.length);
  });

  it('rejects chunks out of order and flags a checksum mismatch', async () => {
    server.notify('fileOffered', { transferId: 't2', from: 'bob', name: 'c.bin', size: 4, mimeType: 'x/y', sha256: '00'.repeat(32) });
    await until(() => files.transfers().length === 1);
    await files.accept('t2');
    await expect(server.request('fileChunk', { transferId: 't2', seq: 1, data: 'AAAA' })).resolves.toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    await expect(server.request('fileChunk', { transferId: 't2', seq: 0, data: bytesToBase64(bytes(4)) })).resolves.toMatchObject({ ok: true });
    server.notify('fileTransferCompleted', { transferId: 't2', sha256: '00'.repeat(32) });
    await expect(files.completion('t2')).rejects.toMatchObject({ code: 'checksum_mismatch' });
    expect(files.transfers()[0].status).toBe('failed');
  });

  it('cancels: tells the server and stops; a cancel from the other side is reported', async () => {
    server.on('fileChunk', () => NO_ANSWER);
    const transferId = await files.send('bob', new Blob([bytes(5000)]), 'd.bin');
    server.notify('fileAnswered', { transferId, accepted: true });
    await until(() => server.requests('fileChunk').length === FILE_CHUNK_WINDOW);
    await files.cancel(transferId);
    expect(server.requests('fileCancel')).toEqual([{ transferId, reason: 'cancelled by the user' }]);
    expect(files.transfers()[0].status).toBe('cancelled');

    server.notify('fileOffered', { transferId: 't3', from: 'bob', name: 'e', size: 1, mimeType: 'x/y', sha256: '00' });
    await until(() => files.transfers().length === 2);
    server.notify('fileTransferCancelled', { transferId: 't3', by: 'bob', reason: 'sender cancelled' });
    await expect(files.completion('t3')).rejects.toMatchObject({ code: 'cancelled' });
  });

  describe('binary frames', () => {
    const UUID = '6f1c2b7e-5d3a-4c8b-9e0f-112233445566';

    // A few windows of 256 KiB chunks are more than the fake server's 1 MB limit.
    beforeEach(async () => {
      const session = server.session.bind(server);
      server.session = (resumed) => ({ ...session(resumed), limits: { ...session(resumed).limits, maxFileBytes: 64 * 1024 * 1024 } });
      const client = TestBed.inject(SignalingClient);
      client.close();
      await client.connect('tok');
    });

    it('sends: slices of 256 KiB, at most the window beyond the credited acks, then fileComplete', async () => {
      const data = bytes(FILE_FRAME_CHUNK_BYTES * (FILE_WINDOW_CHUNKS + 2) + 100);
      const count = Math.ceil(data.length / FILE_FRAME_CHUNK_BYTES);
      server.on('fileOffer', () => ({ transferId: UUID }));
      const transferId = await files.send('bob', new Blob([data]), 'big.bin');
      server.notify('fileAnswered', { transferId, accepted: true, binary: true });
      await until(() => server.binaryFrames.length === FILE_WINDOW_CHUNKS);
      await new Promise((r) => setTimeout(r, 20));
      expect(server.binaryFrames).toHaveLength(FILE_WINDOW_CHUNKS);
      expect(server.requests('fileChunk')).toHaveLength(0);
      // Ack them one by one, like the server passing on the recipient's acks.
      for (let seq = 0; seq < count; seq++) {
        await until(() => server.binaryFrames.length > seq);
        const frame = decodeFileFrame(server.binaryFrames[seq]);
        expect(frame).toMatchObject({ kind: 'chunk', transferId, seq });
        expect(server.binaryFrames.length).toBeLessThanOrEqual(seq + FILE_WINDOW_CHUNKS);
        server.socket.deliverBinary(encodeFileAckFrame(transferId, seq));
      }
      await until(() => server.requests('fileComplete').length === 1);
      const sent = server.binaryFrames.map((f) => decodeFileFrame(f)).flatMap((f) => (f.kind === 'chunk' ? [f.data] : []));
      expect(Buffer.concat(sent)).toEqual(Buffer.from(data));
      expect(files.transfers()[0].bytes).toBe(data.length);
      server.notify('fileTransferCompleted', { transferId, sha256: await sha256Hex(data) });
      await expect(files.completion(transferId)).resolves.toMatchObject({ status: 'completed' });
    }, 30_000);

    it('receives: hashes each chunk, acks it, and verifies on completion', async () => {
      const data = bytes(3 * 1000 + 7);
      const sha256 = await sha256Hex(data);
      server.notify('fileOffered', { transferId: UUID, from: 'bob', name: 'b.bin', size: data.length, mimeType: 'x/y', sha256 });
      await until(() => files.transfers().length === 1);
      await files.accept(UUID);
      for (let seq = 0; seq * 1000 < data.length; seq++) server.socket.deliverBinary(encodeFileChunkFrame(UUID, seq, data.subarray(seq * 1000, (seq + 1) * 1000)));
      await until(() => server.binaryFrames.length === 4);
      expect(server.binaryFrames.map((f) => decodeFileFrame(f))).toEqual([0, 1, 2, 3].map((seq) => ({ kind: 'ack', transferId: UUID, seq })));
      server.notify('fileTransferCompleted', { transferId: UUID, sha256 });
      const done = await files.completion(UUID);
      expect(await readBlob(done.blob as Blob)).toEqual(data);
    });

    it('a dropped socket fails a binary transfer in flight and cancels it once reconnected', async () => {
      server.on('fileOffer', () => ({ transferId: UUID }));
      const transferId = await files.send('bob', new Blob([bytes(FILE_FRAME_CHUNK_BYTES * (FILE_WINDOW_CHUNKS + 1))]), 'x.bin');
      server.notify('fileAnswered', { transferId, accepted: true, binary: true });
      await until(() => server.binaryFrames.length === FILE_WINDOW_CHUNKS);
      server.socket.drop(1006);
      await expect(files.completion(transferId)).rejects.toMatchObject({ code: 'failed' });
      await until(() => server.requests('fileCancel').length === 1);
      expect(server.requests('fileCancel')[0]).toEqual({ transferId, reason: 'connection dropped' });
    }, 30_000);
  });

  it('chat: sends, and collects the room broadcast once', async () => {
    const chat = TestBed.inject(ChatService);
    await chat.send('  hello  ');
    expect(server.requests('chatMessage')).toEqual([{ text: 'hello' }]);
    await until(() => chat.messages().length === 1);
    expect(chat.messages()[0].text).toBe('hello');
    await expect(chat.send('   ')).rejects.toBeInstanceOf(TypeError);
    await expect(chat.send('x'.repeat(2001))).rejects.toMatchObject({ code: 'limit_exceeded' });
  });
});
