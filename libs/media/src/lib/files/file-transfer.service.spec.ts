import { TestBed } from '@angular/core/testing';
import { FakeSignalingServer, NO_ANSWER, until } from '../../testing/fake-signaling-server';
import { ChatService } from '../chat/chat.service';
import { SignalingClient } from '../signaling/signaling-client';
import { SIGNALING_OPTIONS, SIGNALING_URL, WEB_SOCKET_FACTORY } from '../tokens';
import { bytesToBase64, sha256Hex } from './file-encoding';
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
    expect(server.requests('fileOffer')[0]).toEqual({ to: 'bob', name: 'data.bin', size: data.length, mimeType: 'application/octet-stream', sha256: await sha256Hex(data) });
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
    expect(server.requests('fileAnswer')).toEqual([{ transferId: 't1', accept: true }]);
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
