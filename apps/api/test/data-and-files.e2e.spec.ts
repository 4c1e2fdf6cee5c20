import { createHash, randomBytes } from 'node:crypto';
import { SignalingError } from '@confer/signaling-contracts';
import { FilesService } from '../src/files/files.service';
import { backends, backendsBanner, type Backend } from './support/backends';
import { joinRoom } from './support/scenario';
import type { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

beforeAll(() => console.log(backendsBanner));

describe.each(backends.map((b) => [b.name, b] as const))('data channels and file transfer against the %s', (_name, backend: Backend) => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const client = async (sub: string, claims = {}): Promise<TestClient> => {
    const c = await server.client(sub, claims);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await TestServer.start(backend, { FILE_CHUNK_BYTES: '4096', MAX_MESSAGE_BYTES: '16384', MAX_FILE_BYTES: '100000' });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
  });

  it('produceData reaches the other peers as newDataConsumer, and closing it closes theirs', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const carol = await client('carol');
    const a = await joinRoom(alice, 'r', { data: true });
    await joinRoom(bob, 'r', { data: true });
    const { dataProducerId } = await alice.request('produceData', {
      transportId: a.sendTransportId ?? '',
      sctpStreamParameters: { streamId: 0, ordered: true },
      label: 'chat',
      protocol: 'json',
      appData: { kind: 'reactions' },
    });
    const offered = await bob.until(() => bob.serverRequestsOf('newDataConsumer').length === 1, 'newDataConsumer').then(() => bob.serverRequestsOf('newDataConsumer')[0]);
    expect(offered).toMatchObject({ peerId: 'alice', dataProducerId, label: 'chat', protocol: 'json' });
    expect(typeof offered.sctpStreamParameters.streamId).toBe('number');

    // A later joiner gets it too; a peer without SCTP capabilities does not.
    await joinRoom(carol, 'r', { data: true });
    await carol.until(() => carol.serverRequestsOf('newDataConsumer').length === 1, 'carol newDataConsumer');
    const dave = await client('dave');
    await joinRoom(dave, 'r');
    await new Promise((r) => setTimeout(r, 100));
    expect(dave.serverRequestsOf('newDataConsumer')).toHaveLength(0);

    const stats = await bob.request('getDataConsumerStats', { dataConsumerId: offered.id });
    expect(Array.isArray(stats.stats)).toBe(true);
    await alice.request('closeDataProducer', { dataProducerId });
    await bob.waitForNotification('dataConsumerClosed', (n) => n.dataConsumerId === offered.id);
    await carol.waitForNotification('dataConsumerClosed');
    expect(server.peers.get('bob')?.dataConsumers.size).toBe(0);
  });

  it('produceData needs the canPublishData grant and an SCTP transport', async () => {
    const noData = await client('nodata', { grants: { canPublish: true, canSubscribe: true, canPublishData: false } });
    const n = await joinRoom(noData, 'r', { data: true });
    const forbidden = await noData.requestError('produceData', { transportId: n.sendTransportId, sctpStreamParameters: { streamId: 1 } });
    expect(forbidden.code).toBe('forbidden');
    const plain = await client('plain');
    const p = await joinRoom(plain, 'r', { data: false });
    const noSctp = await plain.requestError('produceData', { transportId: p.sendTransportId, sctpStreamParameters: { streamId: 1 } });
    expect(noSctp.code).toBe('invalid_state');
  });

  async function offerAndAccept(from: TestClient, to: TestClient, bytes: Buffer, sha256 = createHash('sha256').update(bytes).digest('hex')): Promise<string> {
    const { transferId } = await from.request('fileOffer', { to: to.peerId, name: 'notes.bin', size: bytes.length, mimeType: 'application/octet-stream', sha256 });
    const offered = await to.waitForNotification('fileOffered', (o) => o.transferId === transferId);
    expect(offered).toMatchObject({ from: from.peerId, size: bytes.length, sha256 });
    await to.request('fileAnswer', { transferId, accept: true });
    await from.waitForNotification('fileAnswered', (a) => a.transferId === transferId && a.accepted);
    return transferId;
  }

  /** Sends `bytes` with a window of `window` chunks in flight, as the web client does. */
  async function sendChunks(from: TestClient, transferId: string, bytes: Buffer, chunkBytes: number, window = 4): Promise<void> {
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(bytes.subarray(at, at + chunkBytes));
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < chunks.length) {
        const seq = next++;
        await from.request('fileChunk', { transferId, seq, data: chunks[seq].toString('base64') });
      }
    };
    await Promise.all(Array.from({ length: window }, lane));
  }

  it('transfers a file in chunks with backpressure and a SHA-256 check', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    await joinRoom(alice, 'r', { send: false, recv: false });
    await joinRoom(bob, 'r', { send: false, recv: false });
    const bytes = randomBytes(30_000);
    const received: Buffer[] = [];
    let unanswered = 0;
    let maxUnanswered = 0;
    bob.onServerRequest('fileChunk', async ({ seq, data }) => {
      unanswered++;
      maxUnanswered = Math.max(maxUnanswered, unanswered);
      await new Promise((r) => setTimeout(r, 5));
      received[seq] = Buffer.from(data, 'base64');
      unanswered--;
    });
    const transferId = await offerAndAccept(alice, bob, bytes);
    await sendChunks(alice, transferId, bytes, server.config.limits.fileChunkBytes);
    await alice.request('fileComplete', { transferId });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    for (const c of [alice, bob]) await c.waitForNotification('fileTransferCompleted', (n) => n.transferId === transferId && n.sha256 === sha256);
    expect(Buffer.concat(received).equals(bytes)).toBe(true);
    // The sender's window bounds what the recipient has to hold.
    expect(maxUnanswered).toBeLessThanOrEqual(4);
  });

  it('a wrong checksum cancels the transfer with a clear error', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    await joinRoom(alice, 'r', { send: false, recv: false });
    await joinRoom(bob, 'r', { send: false, recv: false });
    const bytes = randomBytes(5000);
    const transferId = await offerAndAccept(alice, bob, bytes, 'a'.repeat(64));
    await sendChunks(alice, transferId, bytes, server.config.limits.fileChunkBytes, 1);
    const error = await alice.requestError('fileComplete', { transferId });
    expect(error.code).toBe('invalid_request');
    expect(error.reason).toMatch(/SHA-256 mismatch/);
    await bob.waitForNotification('fileTransferCancelled', (n) => n.transferId === transferId);
    expect(server.app.get(FilesService).active).toBe(0);
  });

  it('refuses files above the size limit, oversize chunks, out-of-order chunks and strangers', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const eve = await client('eve');
    await joinRoom(alice, 'r', { send: false, recv: false });
    await joinRoom(bob, 'r', { send: false, recv: false });
    await joinRoom(eve, 'r', { send: false, recv: false });
    const tooBig = await alice.requestError('fileOffer', { to: 'bob', name: 'big', size: 100_001, mimeType: 'x/y', sha256: 'a'.repeat(64) });
    expect(tooBig.code).toBe('limit_exceeded');
    expect(tooBig.reason).toMatch(/at most 100000 bytes/);
    expect((await alice.requestError('fileOffer', { to: 'nobody', name: 'f', size: 1, mimeType: 'x/y', sha256: 'a'.repeat(64) })).code).toBe('not_found');

    const offers = [];
    for (let i = 0; i < 8; i++) offers.push(await alice.request('fileOffer', { to: 'eve', name: `f${i}`, size: 1, mimeType: 'x/y', sha256: 'a'.repeat(64) }));
    expect((await alice.requestError('fileOffer', { to: 'eve', name: 'f9', size: 1, mimeType: 'x/y', sha256: 'a'.repeat(64) })).code).toBe('limit_exceeded');
    for (const { transferId } of offers) await alice.request('fileCancel', { transferId });

    const bytes = randomBytes(9000);
    const transferId = await offerAndAccept(alice, bob, bytes);
    expect((await eve.requestError('fileChunk', { transferId, seq: 0, data: 'AAAA' })).code).toBe('forbidden');
    expect((await eve.requestError('fileAnswer', { transferId, accept: false })).code).toBe('forbidden');
    expect((await alice.requestError('fileChunk', { transferId, seq: 1, data: 'AAAA' })).code).toBe('invalid_request');
    const oversize = await alice.requestError('fileChunk', { transferId, seq: 0, data: randomBytes(4097).toString('base64') });
    expect(oversize.code).toBe('limit_exceeded');
    await bob.request('fileCancel', { transferId, reason: 'changed my mind' });
    const cancelled = await alice.waitForNotification('fileTransferCancelled', (n) => n.transferId === transferId);
    expect(cancelled).toMatchObject({ by: 'bob', reason: 'changed my mind' });
    expect((await alice.requestError('fileChunk', { transferId, seq: 0, data: 'AAAA' })).code).toBe('not_found');
  });

  it('a declined offer tells the sender; a recipient refusing a chunk fails the sender’s chunk', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    await joinRoom(alice, 'r', { send: false, recv: false });
    await joinRoom(bob, 'r', { send: false, recv: false });
    const { transferId: declined } = await alice.request('fileOffer', { to: 'bob', name: 'f', size: 3, mimeType: 'x/y', sha256: 'b'.repeat(64) });
    await bob.request('fileAnswer', { transferId: declined, accept: false });
    await alice.waitForNotification('fileAnswered', (n) => n.transferId === declined && !n.accepted);

    const bytes = randomBytes(100);
    const transferId = await offerAndAccept(alice, bob, bytes);
    bob.onServerRequest('fileChunk', () => {
      throw new SignalingError('invalid_state', 'disk full');
    });
    const error = await alice.requestError('fileChunk', { transferId, seq: 0, data: bytes.toString('base64') });
    expect(error.code).toBe('invalid_state');
    expect(error.reason).toMatch(/disk full/);
  });

  it('a peer leaving cancels its transfers', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    await joinRoom(alice, 'r', { send: false, recv: false });
    await joinRoom(bob, 'r', { send: false, recv: false });
    const transferId = await offerAndAccept(alice, bob, randomBytes(10));
    await bob.close();
    const n = await alice.waitForNotification('fileTransferCancelled', (c) => c.transferId === transferId);
    expect(n.reason).toBe('peer left');
    await alice.close();
    await server.expectClean();
  });
});
