import { FanOutScheduler } from './fan-out-scheduler';

/** A job that stays in flight until released. */
function gate(): { job: () => Promise<string>; release(value?: string): void; fail(error: Error): void; started: boolean } {
  let resolve!: (v: string) => void;
  let reject!: (e: Error) => void;
  const g = {
    started: false,
    job: () => {
      g.started = true;
      return new Promise<string>((res, rej) => ((resolve = res), (reject = rej)));
    },
    release: (value = 'done') => resolve(value),
    fail: (error: Error) => reject(error),
  };
  return g;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('FanOutScheduler', () => {
  it('refuses a concurrency or a start count that is not a positive integer', () => {
    expect(() => new FanOutScheduler(0)).toThrow(TypeError);
    expect(() => new FanOutScheduler(2, 1.5)).toThrow(TypeError);
  });

  it('keeps at most `concurrency` jobs in flight and starts the next when one settles', async () => {
    const scheduler = new FanOutScheduler(2, 10);
    const gates = [gate(), gate(), gate()];
    const results = gates.map((g) => scheduler.run(g.job));
    await turn();
    expect(gates.map((g) => g.started)).toEqual([true, true, false]);
    expect(scheduler.active).toBe(2);
    expect(scheduler.pending).toBe(1);

    gates[0].release('a');
    await expect(results[0]).resolves.toBe('a');
    await turn();
    expect(gates[2].started).toBe(true);
    gates[1].release('b');
    gates[2].release('c');
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c']);
    await turn();
    expect(scheduler.active).toBe(0);
    expect(scheduler.pending).toBe(0);
  });

  it('starts nothing synchronously and at most `startsPerTurn` jobs per event-loop turn', async () => {
    const scheduler = new FanOutScheduler(10, 2);
    const gates = Array.from({ length: 5 }, gate);
    for (const g of gates) void scheduler.run(g.job);
    expect(gates.filter((g) => g.started)).toHaveLength(0);
    await turn();
    expect(gates.filter((g) => g.started)).toHaveLength(2);
    await turn();
    expect(gates.filter((g) => g.started)).toHaveLength(4);
    await turn();
    expect(gates.filter((g) => g.started)).toHaveLength(5);
    for (const g of gates) g.release();
  });

  it('lets I/O callbacks in between turns: a burst of jobs does not hold the event loop', async () => {
    const scheduler = new FanOutScheduler(1000, 4);
    const order: string[] = [];
    const busy = (ms: number): void => {
      for (const end = performance.now() + ms; performance.now() < end; );
    };
    // 40 jobs of 0.5 ms of CPU each: 20 ms in all if they ran back to back.
    const all = Array.from({ length: 40 }, (_, i) => scheduler.run(async () => (busy(0.5), void order.push(`job${i}`))));
    // A timer due in 1 ms stands for a client request arriving during the fan-out.
    const request = new Promise<void>((r) => setTimeout(() => (order.push('request'), r()), 1));
    await Promise.all([...all, request]);
    expect(order.indexOf('request')).toBeLessThan(20);
  });

  it('starts urgent jobs before normal ones still waiting', async () => {
    const scheduler = new FanOutScheduler(1, 1);
    const first = gate();
    const order: string[] = [];
    const running = scheduler.run(first.job);
    await turn();
    const normal = scheduler.run(async () => void order.push('normal'));
    const urgent = scheduler.run(async () => void order.push('urgent'), true);
    first.release();
    await Promise.all([running, normal, urgent]);
    expect(order).toEqual(['urgent', 'normal']);
  });

  it('passes a job’s failure to its caller, thrown or rejected, and goes on with the others', async () => {
    const scheduler = new FanOutScheduler(1, 1);
    const thrown = scheduler.run(() => {
      throw new Error('sync');
    });
    const rejected = scheduler.run(() => Promise.reject(new Error('async')));
    const fine = scheduler.run(async () => 'ok');
    await expect(thrown).rejects.toThrow('sync');
    await expect(rejected).rejects.toThrow('async');
    await expect(fine).resolves.toBe('ok');
    expect(scheduler.active).toBe(0);
  });

  it('runs a long queue in order (the queue compacts without losing a job)', async () => {
    const scheduler = new FanOutScheduler(3, 50);
    const done: number[] = [];
    await Promise.all(Array.from({ length: 5000 }, (_, i) => scheduler.run(async () => void done.push(i))));
    expect(done).toHaveLength(5000);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(scheduler.pending).toBe(0);
  });
});
