import { nodeProject } from '../../jest.preset.js';

export default {
  ...nodeProject('api'),
  // Protocol scenarios spawn workers and sockets: give them room, and run files
  // one at a time on this 2-core machine so timings stay honest.
  testTimeout: 30_000,
};
