import { pickLeastLoaded } from './mediasoup.service';

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
