import { nodeProject } from '../../jest.preset.js';

export default nodeProject('signaling-contracts');
