import { readFileSync } from 'node:fs';
import { MIN_NODE_VERSION, isSupportedNode } from './node-version';

describe('Node.js version check', () => {
  it('matches package.json engines.node', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MIN_NODE_VERSION}`);
  });

  it.each([
    ['20.20.2', false],
    ['22.21.9', false],
    ['v22.22.0', true],
    ['22.22.1', true],
    ['23.0.0', true],
    ['24.11.0', true],
    ['9.99.99', false],
  ])('%s supported: %s', (version, ok) => {
    expect(isSupportedNode(version)).toBe(ok);
  });
});
