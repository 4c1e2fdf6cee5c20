import { LeastLoadedPlacement, pickLeastLoaded } from './worker-placement';

describe('pickLeastLoaded (placement of a new room)', () => {
  it('prefers the fewest routers', () => {
    expect(pickLeastLoaded([{ routers: 3, consumers: 0 }, { routers: 1, consumers: 90 }, { routers: 2, consumers: 0 }])).toBe(1);
  });

  it('breaks router ties by the lowest consumer count', () => {
    expect(pickLeastLoaded([{ routers: 2, consumers: 40 }, { routers: 2, consumers: 5 }, { routers: 2, consumers: 12 }])).toBe(1);
  });

  it('rotates among equal workers from `start`', () => {
    const equal = [{ routers: 1, consumers: 0 }, { routers: 1, consumers: 0 }, { routers: 1, consumers: 0 }];
    expect([0, 1, 2, 3].map((start) => pickLeastLoaded(equal, start))).toEqual([0, 1, 2, 0]);
  });

  it('returns -1 without workers', () => {
    expect(pickLeastLoaded([])).toBe(-1);
  });
});

describe('LeastLoadedPlacement (the default WorkerPlacement)', () => {
  it("answers with the worker's index, not its position, and takes turns among equals", () => {
    const placement = new LeastLoadedPlacement();
    const workers = [
      { index: 4, routers: 1, consumers: 0 },
      { index: 7, routers: 1, consumers: 0 },
    ];
    expect([0, 1, 2].map(() => placement.place(workers))).toEqual([4, 7, 4]);
    expect(placement.place([{ index: 2, routers: 0, consumers: 9 }, { index: 3, routers: 5, consumers: 0 }])).toBe(2);
    expect(placement.place([])).toBe(-1);
  });
});
