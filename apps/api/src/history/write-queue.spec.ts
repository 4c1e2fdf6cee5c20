import { Logger } from '@nestjs/common';
import { MAX_BATCH_ROWS, WriteQueue } from './write-queue';

describe('WriteQueue', () => {
  const logger = new Logger('test');
  beforeEach(() => jest.spyOn(logger, 'error').mockImplementation(() => undefined));

  it('puts rows inserted while the queue is busy into one batch, in order, and keeps other writes after it', async () => {
    const queue = new WriteQueue(logger);
    const done: string[] = [];
    const insert = async (rows: number[]): Promise<void> => {
      done.push(`insert ${rows.join(',')}`);
    };
    void queue.run('first', async () => done.push('first'));
    for (let i = 1; i <= 5; i++) void queue.insert('n', i, insert);
    void queue.run('update', async () => done.push('update'));
    // After a write other than an insert, a new batch starts: its rows stay after the update.
    void queue.insert('n', 6, insert);
    void queue.insert('n', 7, insert);
    await queue.flush();
    expect(done).toEqual(['first', 'insert 1,2,3,4,5', 'update', 'insert 6,7']);
  });

  it('caps a batch at MAX_BATCH_ROWS rows: a herd becomes several inserts of that size, in order', async () => {
    const queue = new WriteQueue(logger);
    const batches: number[][] = [];
    const insert = async (rows: number[]): Promise<void> => void batches.push(rows);
    void queue.run('busy', async () => undefined);
    const total = MAX_BATCH_ROWS * 2 + 7;
    for (let i = 0; i < total; i++) void queue.insert('n', i, insert);
    await queue.flush();
    expect(batches.map((b) => b.length)).toEqual([MAX_BATCH_ROWS, MAX_BATCH_ROWS, 7]);
    expect(batches.flat()).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it('lets the event loop run between writes (a herd of writes never holds sockets up)', async () => {
    const queue = new WriteQueue(logger);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) void queue.run(`w${i}`, async () => order.push(`w${i}`));
    setImmediate(() => order.push('io'));
    await queue.flush();
    expect(order.indexOf('io')).toBeLessThan(order.indexOf('w1'));
  });

  it('logs a failed write and goes on with the next; callers never see the error', async () => {
    const queue = new WriteQueue(logger);
    const done: string[] = [];
    await expect(queue.run('broken', () => Promise.reject(new Error('db down')))).resolves.toBeUndefined();
    await queue.insert('n', 1, async () => void done.push('after'));
    expect(done).toEqual(['after']);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('db down'));
  });
});
