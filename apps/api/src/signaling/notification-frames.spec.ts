import { notificationFrame } from './notification-frames';

describe('notificationFrame', () => {
  const text = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));

  it('serializes a broadcast once: the same data object in the same run gives the same frame', () => {
    const data = { peerId: 'p1', displayName: 'Ada' } as never;
    const a = notificationFrame('peerDisplayNameChanged', data);
    const b = notificationFrame('peerDisplayNameChanged', data);
    expect(b).toBe(a);
    expect(text(a)).toEqual({ type: 'notification', method: 'peerDisplayNameChanged', data: { peerId: 'p1', displayName: 'Ada' } });
  });

  it('serializes again for another object or method, and after the run ends (a changed object is never sent stale)', async () => {
    const data = { peerId: 'p1', displayName: 'Ada' };
    const first = notificationFrame('peerDisplayNameChanged', data as never);
    expect(notificationFrame('peerDisplayNameChanged', { ...data } as never)).not.toBe(first);
    await Promise.resolve();
    data.displayName = 'Bea';
    const later = notificationFrame('peerDisplayNameChanged', data as never);
    expect(text(later)).toMatchObject({ data: { displayName: 'Bea' } });
  });

  it('keeps non-ASCII text intact (UTF-8 frame)', () => {
    const frame = notificationFrame('chatMessage', { text: 'ünïcödé 🎉 “quotes”' } as never);
    expect(text(frame)).toMatchObject({ data: { text: 'ünïcödé 🎉 “quotes”' } });
  });
});
