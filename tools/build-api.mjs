// Builds the API to dist/apps/api with SWC (decorator metadata for Nest), keeping
// the workspace layout so that the contract lib is reached by relative path.
// Specs and testing/ folders (test double, test wiring) are left out.
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const swc = require('@swc/core');
const swcOptions = require('./swc-options.cjs');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/apps/api');
const sources = ['apps/api/src', 'libs/signaling-contracts/src'];

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    // testing/ holds the test double and test wiring: never part of the production build.
    if (statSync(full).isDirectory()) {
      if (name !== 'testing') yield* walk(full);
    }
    else if (name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts')) yield full;
  }
}

rmSync(out, { recursive: true, force: true });
let count = 0;
for (const dir of sources) {
  for (const file of walk(path.join(root, dir))) {
    const rel = path.relative(root, file).replace(/\.ts$/, '.js');
    const target = path.join(out, rel);
    const { code, map } = await swc.transformFile(file, {
      ...swcOptions(),
      filename: file,
      outputPath: target,
      sourceFileName: path.relative(path.dirname(target), file),
      swcrc: false,
    });
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, `${code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
    if (map) writeFileSync(`${target}.map`, map);
    count++;
  }
}
// SQL migrations are read at start-up (drizzle's migrator): copied as they are.
const migrations = 'apps/api/src/database/migrations';
for (const file of walkAll(path.join(root, migrations))) {
  const target = path.join(out, path.relative(root, file));
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(file, target);
}

// Plain JavaScript files run as they are (the embedded database's worker thread): copied too.
for (const file of walkAll(path.join(root, 'apps/api/src'))) {
  if (!file.endsWith('.cjs') || file.split(path.sep).includes('testing')) continue;
  const target = path.join(out, path.relative(root, file));
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(file, target);
}

function* walkAll(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* walkAll(full);
    else yield full;
  }
}

writeFileSync(path.join(out, 'main.js'), "require('./apps/api/src/main.js');\n");
console.log(`build-api: ${count} files -> ${path.relative(root, out)} (run: node dist/apps/api/main.js)`);
