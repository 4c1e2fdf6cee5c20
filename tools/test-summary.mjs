// Sums the jest JSON results (written by each project's test target) and the
// e2e result into one closing line: "tests: N passed, N failed, N skipped".
// The line counts tests only; a step that failed (lint, typecheck, build, the
// protocol document, a test runner that crashed) is reported as a step on the
// line above it, and the exit code of `npm test` says red or green.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const failedSteps = process.argv.slice(3).filter(Boolean);
let passed = 0;
let failed = 0;
let skipped = 0;
let brokenSuites = 0;
if (existsSync(dir)) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    // jest --json output, or the e2e runner's {passed, failed, skipped}
    const p = r.numPassedTests ?? r.passed ?? 0;
    const f = r.numFailedTests ?? r.failed ?? 0;
    const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0) + (r.skipped ?? 0);
    const broken = r.numRuntimeErrorTestSuites ?? 0;
    console.log(`  ${path.basename(file, '.json').padEnd(22)} ${p} passed, ${f} failed, ${s} skipped${broken ? `; ${broken} suite(s) could not run` : ''}`);
    passed += p;
    failed += f;
    skipped += s;
    brokenSuites += broken;
  }
}
if (brokenSuites > 0) console.log(`suites that could not run (their tests are not counted): ${brokenSuites}`);
console.log(failedSteps.length ? `steps: ${failedSteps.length} failed: ${failedSteps.map((s) => `"${s}"`).join(', ')}` : 'steps: all passed');
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
