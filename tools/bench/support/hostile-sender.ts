/**
 * A hostile client in its own process (so its CPU is not the measuring
 * client's): authenticates, joins room `iso` with transports and a producer,
 * then for `--duration` ms sends `--rps` requests per second of `--mode`:
 * `deep` (parameters nested 1500 levels) or `fuzz` (mutated valid requests,
 * apps/api/test/support/fuzz.ts). Prints READY once joined, starts on a line
 * on stdin, and at the end prints one JSON line with what it saw:
 * requests sent, answered, unanswered, `internal` answers.
 *
 *   node -r @swc-node/register tools/bench/support/hostile-sender.ts --url ws://… --token … --mode deep --rps 75 --duration 10000 --seed 1
 */
import fc from 'fast-check';
/* eslint-disable @nx/enforce-module-boundaries -- the protocol tests' clients and mutators, reused */
import { mutatedText, mutation, validRequests } from '../../../apps/api/test/support/fuzz';
import { joinRoom, produce } from '../../../apps/api/test/support/scenario';
import { TestClient } from '../../../apps/api/test/support/test-client';
/* eslint-enable @nx/enforce-module-boundaries */
import { parseArgs, sleep } from './args';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const url = args.get('url') as string;
  const mode = args.get('mode') === 'fuzz' ? 'fuzz' : 'deep';
  const rps = Number(args.get('rps') ?? 75);
  const durationMs = Number(args.get('duration') ?? 10_000);
  const seed = Number(args.get('seed') ?? 1);
  const client = await TestClient.authenticated(url, args.get('token') as string);
  client.onServerRequest('newConsumer', () => ({}));
  client.onServerRequest('newDataConsumer', () => ({}));
  const joined = await joinRoom(client, 'iso', { data: true });
  const producerId = await produce(joined, 'audio');
  const answers = new Map<number, number>();
  let internal = 0;
  client.socket.on('message', (raw) => {
    const msg = JSON.parse(raw.toString()) as { type: string; id: unknown; ok?: boolean; error?: { code: string } };
    if (msg.type !== 'response' || typeof msg.id !== 'number' || msg.id < 1_000_000) return;
    answers.set(msg.id, (answers.get(msg.id) ?? 0) + 1);
    if (msg.error?.code === 'internal') internal++;
  });
  const deep = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  const samples = fc.sample(fc.tuple(fc.nat(), mutation), { numRuns: Math.ceil((rps * durationMs) / 1000) + 10, seed });
  const targets = {
    caps: joined.caps,
    sendTransportId: joined.sendTransportId as string,
    recvTransportId: joined.recvTransportId as string,
    producerId,
    consumerId: 'none',
    dataProducerId: 'none',
    otherPeerId: 'monitor',
  };
  // Ready: wait for the driver's go, so that every sender starts with the measurement.
  process.stdout.write('READY\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const sent: number[] = [];
  const started = Date.now();
  for (let i = 0; Date.now() - started < durationMs; i++) {
    const id = 1_000_000 + i;
    let text: string;
    if (mode === 'deep') {
      text = `{"type":"request","id":${id},"method":"restartIce","data":{"transportId":${deep(1500)}}}`;
    } else {
      const [pick, mut] = samples[i % samples.length];
      const corpus = validRequests(targets, i);
      const [method, data] = corpus[pick % corpus.length];
      text = mutatedText(id, method, data, mut);
    }
    // Counted when it is a request that must be answered under this id (a mutated envelope may not be).
    const envelope = JSON.parse(text) as { type?: unknown; id?: unknown };
    if (envelope.type === 'request' && envelope.id === id) sent.push(id);
    client.socket.send(text);
    // Paced: request i goes out at i / rps seconds.
    const due = started + ((i + 1) * 1000) / rps;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
  }
  await sleep(1500);
  const unanswered = sent.filter((id) => !answers.has(id)).length;
  process.stdout.write(`${JSON.stringify({ mode, sent: sent.length, answered: sent.length - unanswered, unanswered, internal, twice: sent.filter((id) => (answers.get(id) ?? 0) > 1).length })}\n`);
  await client.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`hostile-sender: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
