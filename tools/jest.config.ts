import { nodeProject } from '../jest.preset.js';

export default { ...nodeProject('tools'), testTimeout: 60_000 };
