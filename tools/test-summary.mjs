// Sums the jest JSON results (written by each project's test target) and the
// e2e result into one closing line: "tests: N passed, N failed, N skipped".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(dir)) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    // jest --json output, or the e2e runner's {passed, failed, skipped}
    const p = r.numPassedTests ?? r.passed ?? 0;
    const f = (r.numFailedTests ?? r.failed ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
    const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0) + (r.skipped ?? 0);
    console.log(`  ${path.basename(file, '.json').padEnd(22)} ${p} passed, ${f} failed, ${s} skipped`);
    passed += p;
    failed += f;
    skipped += s;
  }
}
// Steps that failed outside any counted test (lint, typecheck, build, protocol doc)
// count as failures too, so the closing line never reads green on a red run.
const failedSteps = Number(process.argv[3] ?? 0);
if (failedSteps > 0) console.log(`  ${'failed steps'.padEnd(22)} ${failedSteps}`);
failed += failedSteps;
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
