import { LeastLoadedNodePlacement, type NodeLoad } from './node-placement';

const node = (id: string, over: Partial<NodeLoad> = {}): NodeLoad => ({ id, region: 'default', maxPeers: 100, rooms: 0, peers: 0, consumers: 0, cpu: 0.1, draining: false, ...over });

describe('LeastLoadedNodePlacement', () => {
  const policy = new LeastLoadedNodePlacement();

  it('keeps the room on the asking node while it is about as idle as the best', () => {
    expect(policy.place([node('a', { peers: 4 }), node('b', { peers: 1 })], { roomId: 'r', selfId: 'a' })).toBe('a');
  });

  it('sends it to the least loaded node when the asking node is clearly fuller', () => {
    expect(policy.place([node('a', { peers: 60 }), node('b', { peers: 10 }), node('c', { peers: 30 })], { roomId: 'r', selfId: 'a' })).toBe('b');
  });

  it('skips full, busy and draining nodes while others are left, and never answers a node that is not in the list', () => {
    const nodes = [node('a', { peers: 100 }), node('b', { cpu: 0.97 }), node('c', { draining: true, peers: 0 }), node('d', { peers: 50 })];
    expect(policy.place(nodes, { roomId: 'r', selfId: 'a' })).toBe('d');
    expect(policy.place([node('a', { peers: 100 }), node('b', { peers: 120 })], { roomId: 'r', selfId: 'x' })).toBe('a');
    expect(policy.place([node('c', { draining: true })], { roomId: 'r', selfId: 'c' })).toBeNull();
    expect(policy.place([], { roomId: 'r', selfId: 'a' })).toBeNull();
  });

  it("prefers the room's region, and falls back to any region when it has no live node", () => {
    const nodes = [node('a'), node('eu-1', { region: 'eu', peers: 40 }), node('eu-2', { region: 'eu', peers: 20 })];
    expect(policy.place(nodes, { roomId: 'r', region: 'eu', selfId: 'a' })).toBe('eu-2');
    expect(policy.place(nodes, { roomId: 'r', region: 'us', selfId: 'a' })).toBe('a');
  });
});
