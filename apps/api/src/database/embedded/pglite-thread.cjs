'use strict';
// The embedded database (PGlite) on a thread of its own.
//
// PGlite runs PostgreSQL compiled to WASM, and every query runs synchronously
// on the thread that owns it: on the API's main thread a history write held
// every socket and worker channel up for its whole duration (measured: 2.7 s
// of a 32 s run at 1000 peers, in chunks, making the signaling tail). Here it
// blocks only this thread. Plain JavaScript on purpose: a worker thread loads
// this file as it is, under jest, `nx serve` (swc-node) and the built dist alike.
//
// workerData: { dir: string | null, template: Uint8Array | null, migrationsFolder: string, dump: boolean }
// main → thread: { id, op: 'query', sql, params, rowMode, rawTypes } | { id, op: 'close' }
// thread → main: { type: 'ready' } | { type: 'failed', error } | { type: 'dump', bytes }
//              | { id, ok: true, result } | { id, ok: false, error }
const { parentPort, workerData } = require('node:worker_threads');
const { mkdirSync } = require('node:fs');
const { PGlite } = require('@electric-sql/pglite');
const { drizzle } = require('drizzle-orm/pglite');
const { migrate } = require('drizzle-orm/pglite/migrator');

const identity = (value) => value;

/** Drizzle asks for some types (timestamps, dates, intervals) as PostgreSQL's text: only identity parsers cross the thread. */
function parsersFor(rawTypes) {
  if (!rawTypes || rawTypes.length === 0) return undefined;
  const parsers = {};
  for (const type of rawTypes) parsers[type] = identity;
  return parsers;
}

/** An error as a plain object: its message and its PostgreSQL fields (code, detail, constraint…). */
function plainError(error) {
  const out = { name: (error && error.name) || 'Error', message: String((error && error.message) || error) };
  if (error && typeof error === 'object') {
    for (const [key, value] of Object.entries(error)) {
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[key] = value;
    }
  }
  return out;
}

async function open({ dir, template, migrationsFolder }) {
  if (dir) mkdirSync(dir, { recursive: true });
  const db = dir ? new PGlite(dir) : new PGlite(template ? { loadDataDir: new Blob([template]) } : undefined);
  try {
    await db.waitReady;
    await migrate(drizzle(db), { migrationsFolder });
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

async function main() {
  let db;
  try {
    db = await open(workerData);
  } catch (error) {
    parentPort.postMessage({ type: 'failed', error: plainError(error) });
    return;
  }
  if (workerData.dump) {
    const blob = await db.dumpDataDir('none');
    const bytes = new Uint8Array(await blob.arrayBuffer());
    await db.close();
    parentPort.postMessage({ type: 'dump', bytes }, [bytes.buffer]);
    return;
  }
  parentPort.on('message', async (message) => {
    if (message.op === 'close') {
      await db.close().catch(() => undefined);
      parentPort.postMessage({ id: message.id, ok: true, result: null });
      parentPort.close();
      return;
    }
    try {
      const result = await db.query(message.sql, message.params, { rowMode: message.rowMode, parsers: parsersFor(message.rawTypes) });
      parentPort.postMessage({ id: message.id, ok: true, result: { rows: result.rows, affectedRows: result.affectedRows, fields: result.fields } });
    } catch (error) {
      parentPort.postMessage({ id: message.id, ok: false, error: plainError(error) });
    }
  });
  parentPort.postMessage({ type: 'ready' });
}

main().catch((error) => parentPort.postMessage({ type: 'failed', error: plainError(error) }));
