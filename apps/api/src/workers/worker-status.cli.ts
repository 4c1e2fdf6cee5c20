// Prints which mediasoup worker the API would use, as one JSON line. Used by
// tools/test.sh to say whether the real-worker suites can run.
import { resolveWorkerBin } from './worker-bin';

process.stdout.write(`${JSON.stringify(resolveWorkerBin())}\n`);
