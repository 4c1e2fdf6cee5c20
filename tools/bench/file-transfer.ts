/**
 * Benchmark: file transfer throughput, sender to recipient through the API on
 * 127.0.0.1. The API runs in its own process (test double: file transfer needs
 * no media); a sender and a recipient (`ws` clients in this process) join one
 * room and move a file of --mb megabytes, in turn:
 *   json   — the base64 path (`fileChunk` requests, each answered after the
 *            recipient answered the relayed one; 4 in flight of FILE_CHUNK_BYTES),
 *            the reference;
 *   binary — binary frames (libs/signaling-contracts/src/lib/file-frames.ts:
 *            256 KiB chunks, a window of 16 credited by the recipient's acks).
 * Both sides check integrity: the sender offers the file's SHA-256, the
 * recipient hashes what it received (streaming) and compares, the server checks
 * it at `fileComplete`. Timed from the recipient's `fileAnswer` to its verified
 * completion. Modes alternate for --rounds rounds; reported: MB/s per mode, the
 * ratio binary / json in the same run, CPU of the server process.
 *
 *   npm run nx -- run tools:bench-files [-- --quick] [--mb 100] [--rounds 2] [--modes json,binary] [--rps 100000]
 */
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tools (scope:tools) speaks the shared protocol; the root lint config has no scope:tools constraint
import { FILE_FRAME_CHUNK_BYTES, FILE_WINDOW_CHUNKS, decodeFileFrame, encodeFileAckFrame, encodeFileChunkFrame } from '@confer/signaling-contracts';
/* eslint-disable @nx/enforce-module-boundaries -- the protocol tests' client */
import { joinRoom } from '../../apps/api/test/support/scenario';
import { TestClient } from '../../apps/api/test/support/test-client';
/* eslint-enable @nx/enforce-module-boundaries */
import { lineChartSvg, machineInfo, printTable, writeResults, type Row } from './lib/report';
import { parseArgs } from './support/args';
import { sampleProc } from './support/proc';
import { startServer } from './support/server-process';

const SECRET = 'bench-secret-0123456789abcdef';
const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const megabytes = Number(args.get('mb') ?? (quick ? 20 : 100));
const rounds = Number(args.get('rounds') ?? (quick ? 1 : 2));
/** REQUESTS_PER_SECOND of the API; unset: its default (100), which caps the json path at 100 × 64 KiB/s. */
const rps = args.get('rps');
const modes = (args.get('modes') ?? 'json,binary').split(',').filter((m): m is Mode => m === 'json' || m === 'binary');
const JSON_CHUNK_BYTES = 65_536;
const JSON_WINDOW = 4;
type Mode = 'json' | 'binary';

const token = (sub: string): Promise<string> =>
  new SignJWT({ rooms: ['*'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

/** Moves `file` from `sender` to `recipient` in `mode`; resolves with the seconds from answer to verified completion. */
async function transfer(mode: Mode, sender: TestClient, recipient: TestClient, file: Buffer, sha256: string): Promise<number> {
  const { transferId } = await sender.request('fileOffer', { to: recipient.peerId, name: 'bench.bin', size: file.length, mimeType: 'application/octet-stream', sha256, ...(mode === 'binary' ? { binary: true } : {}) });
  await recipient.waitForNotification('fileOffered', (o) => o.transferId === transferId);
  // Recipient: streaming hash of what arrives, in order.
  const hash = createHash('sha256');
  let received = 0;
  let nextSeq = 0;
  recipient.onServerRequest('fileChunk', ({ seq, data }) => {
    if (seq !== nextSeq++) throw new Error(`chunk ${seq} out of order`);
    const bytes = Buffer.from(data, 'base64');
    hash.update(bytes);
    received += bytes.length;
    return {};
  });
  recipient.onBinary((raw) => {
    const frame = decodeFileFrame(raw);
    if (frame.kind !== 'chunk' || frame.transferId !== transferId) return;
    if (frame.seq !== nextSeq++) throw new Error(`chunk ${frame.seq} out of order`);
    hash.update(frame.data);
    received += frame.data.byteLength;
    recipient.sendBinary(encodeFileAckFrame(transferId, frame.seq));
  });
  const completed = recipient.waitForNotification('fileTransferCompleted', (n) => n.transferId === transferId, 600_000);
  const started = performance.now();
  await recipient.request('fileAnswer', { transferId, accept: true, ...(mode === 'binary' ? { binary: true } : {}) });
  const answered = await sender.waitForNotification('fileAnswered', (a) => a.transferId === transferId);
  if (mode === 'binary' && !answered.binary) throw new Error('the server did not agree to binary frames');
  if (mode === 'json') await sendJson(sender, transferId, file);
  else await sendBinary(sender, transferId, file);
  await sender.request('fileComplete', { transferId }, 60_000);
  await completed;
  const actual = hash.digest('hex');
  const seconds = (performance.now() - started) / 1000;
  if (received !== file.length || actual !== sha256) throw new Error(`${mode}: integrity check failed (${received} bytes, ${actual})`);
  return seconds;
}

/** The web client's legacy path: `fileChunk` requests, {@link JSON_WINDOW} in flight. */
async function sendJson(sender: TestClient, transferId: string, file: Buffer): Promise<void> {
  let next = 0;
  const count = Math.ceil(file.length / JSON_CHUNK_BYTES);
  const lane = async (): Promise<void> => {
    while (next < count) {
      const seq = next++;
      await sender.request('fileChunk', { transferId, seq, data: file.subarray(seq * JSON_CHUNK_BYTES, (seq + 1) * JSON_CHUNK_BYTES).toString('base64') }, 60_000);
    }
  };
  await Promise.all(Array.from({ length: JSON_WINDOW }, lane));
}

/** Binary frames with a window of {@link FILE_WINDOW_CHUNKS}, credited by relayed acks. */
async function sendBinary(sender: TestClient, transferId: string, file: Buffer): Promise<void> {
  const count = Math.ceil(file.length / FILE_FRAME_CHUNK_BYTES);
  let next = 0;
  let credited = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`binary transfer stalled at ${credited}/${count}`)), 600_000);
    const pump = (): void => {
      while (next < count && next < credited + FILE_WINDOW_CHUNKS) {
        const seq = next++;
        sender.sendBinary(encodeFileChunkFrame(transferId, seq, file.subarray(seq * FILE_FRAME_CHUNK_BYTES, (seq + 1) * FILE_FRAME_CHUNK_BYTES)));
      }
    };
    sender.onBinary((raw) => {
      const frame = decodeFileFrame(raw);
      if (frame.kind !== 'ack' || frame.transferId !== transferId) return;
      credited = Math.max(credited, frame.seq + 1);
      if (credited >= count) {
        clearTimeout(timer);
        resolve();
      } else pump();
    });
    pump();
  });
}

async function main(): Promise<void> {
  const machine = machineInfo(null);
  console.log(`file transfer: ${megabytes} MB, ${rounds} round(s) of ${modes.join(' / ')}; ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, commit ${machine.commit}`);
  const size = megabytes * 1_000_000;
  const file = randomBytes(size);
  const sha256 = createHash('sha256').update(file).digest('hex');
  // The size cap raised for the file; the request rate as deployed unless --rps (the json path sends one request per chunk).
  const server = await startServer('fake', { JWT_SECRET: SECRET, MAX_FILE_BYTES: String(size), REQUEST_TIMEOUT_MS: '60000', DATABASE_URL: 'memory:', ...(rps ? { REQUESTS_PER_SECOND: rps } : {}) });
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const samples: Record<Mode, { seconds: number; serverCpu: number }[]> = { json: [], binary: [] };
  try {
    const sender = await TestClient.authenticated(url, await token('sender'));
    const recipient = await TestClient.authenticated(url, await token('recipient'));
    await joinRoom(sender, 'files', { send: false, recv: false });
    await joinRoom(recipient, 'files', { send: false, recv: false });
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes) {
        const cpu0 = sampleProc(server.pid).cpuSeconds;
        const seconds = await transfer(mode, sender, recipient, file, sha256);
        const serverCpu = (sampleProc(server.pid).cpuSeconds - cpu0) / seconds;
        samples[mode].push({ seconds, serverCpu });
        console.log(`  round ${round + 1} ${mode}: ${(size / 1e6 / seconds).toFixed(1)} MB/s (${seconds.toFixed(2)} s, server CPU ${(serverCpu * 100).toFixed(0)} % of one core)`);
      }
    }
    await sender.close();
    await recipient.close();
  } finally {
    await server.stop();
  }
  const rate = (mode: Mode): number => {
    const s = samples[mode];
    return s.length ? size / 1e6 / (s.reduce((n, x) => n + x.seconds, 0) / s.length) : Number.NaN;
  };
  const reference = rate('json');
  const rows: Row[] = modes.map((mode) => ({
    mode,
    transfers: samples[mode].length,
    MBps: Number(rate(mode).toFixed(1)),
    bestMBps: Number((size / 1e6 / Math.min(...samples[mode].map((s) => s.seconds))).toFixed(1)),
    ratio: Number((rate(mode) / reference).toFixed(1)),
    serverCpuPct: Math.round((samples[mode].reduce((n, s) => n + s.serverCpu, 0) / samples[mode].length) * 100),
  }));
  printTable(`file transfer, ${megabytes} MB, answer to verified completion (ratio: to json in this run)`, rows);
  const svg = lineChartSvg('file transfer MB/s by round', 'round', 'MB/s', modes.map((m) => ({ name: m, points: samples[m].map((s, i) => ({ x: i + 1, y: size / 1e6 / s.seconds })) })));
  writeResults('file-transfer', { machine, megabytes, rounds, requestsPerSecond: rps ?? 'default (100)', jsonChunkBytes: JSON_CHUNK_BYTES, jsonWindow: JSON_WINDOW, binaryChunkBytes: FILE_FRAME_CHUNK_BYTES, binaryWindow: FILE_WINDOW_CHUNKS, rows, samples }, svg);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error((error as Error).stack ?? error);
    process.exit(1);
  },
);
