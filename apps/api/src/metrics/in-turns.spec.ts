import { inTurns } from './in-turns';

describe('inTurns', () => {
  it('runs every item, at most perTurn at once, and lets other work run between batches', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    const between: number[] = [];
    // A timer-free probe: an immediate queued before the run fires between two batches.
    setImmediate(() => between.push(done.length));
    await inTurns([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await Promise.resolve();
      inFlight--;
      done.push(n);
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
    // The immediate ran after the first batch, before the rest.
    expect(between).toEqual([3]);
  });

  it('propagates a failure of fn (callers catch per item)', async () => {
    await expect(inTurns([1, 2], 5, async (n) => { if (n === 2) throw new Error('boom'); })).rejects.toThrow('boom');
  });
});
