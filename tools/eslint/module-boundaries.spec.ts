import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Lint fixtures: code placed (virtually) in each project that breaks a boundary
 * must fail lint with @nx/enforce-module-boundaries, and allowed code must pass.
 */
const root = path.resolve(__dirname, '../..');

interface LintResult {
  messages: Array<{ ruleId: string | null; severity: number; message: string }>;
}

/** Runs the real eslint CLI (as `nx lint` does) on `code` as if it were `file`. */
async function lint(file: string, code: string): Promise<string[]> {
  let out: string;
  try {
    out = execFileSync(path.join(root, 'node_modules/.bin/eslint'), ['--stdin', '--stdin-filename', file, '--format', 'json'], {
      cwd: root,
      input: code,
      encoding: 'utf8',
    });
  } catch (error) {
    out = (error as { stdout: string }).stdout; // exit 1 when there are errors
  }
  const [result] = JSON.parse(out) as LintResult[];
  return result.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

const cases: Array<[string, string, string]> = [
  ['scope:shared importing NestJS', 'libs/signaling-contracts/src/lib/bad.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n"],
  ['scope:shared importing Angular', 'libs/signaling-contracts/src/lib/bad.ts', "import { signal } from '@angular/core';\nexport const x = signal(1);\n"],
  ['scope:shared importing mediasoup', 'libs/signaling-contracts/src/lib/bad.ts', "import type { Router } from 'mediasoup/types';\nexport type X = Router;\n"],
  ['scope:shared importing mediasoup-client', 'libs/signaling-contracts/src/lib/bad.ts', "import { Device } from 'mediasoup-client';\nexport const x = Device;\n"],
  ['scope:web importing NestJS', 'apps/web/src/app/bad.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n"],
  ['scope:web importing mediasoup', 'libs/media/src/lib/bad.ts', "import { createWorker } from 'mediasoup';\nexport const x = createWorker;\n"],
  ['scope:api importing Angular', 'apps/api/src/bad.ts', "import { Component } from '@angular/core';\nexport const x = Component;\n"],
];

describe('module boundaries (lint fixtures)', () => {
  it.each(cases)('%s fails lint', async (_name, file, code) => {
    const errors = await lint(file, code);
    expect(errors.some((e) => e.startsWith('@nx/enforce-module-boundaries'))).toBe(true);
  });

  it('allowed imports pass', async () => {
    expect(
      await lint('libs/media/src/lib/ok.ts', "import { Device } from 'mediasoup-client';\nimport { PROTOCOL_VERSION } from '@confer/signaling-contracts';\nexport const x = [Device, PROTOCOL_VERSION];\n"),
    ).toEqual([]);
    expect(
      await lint('apps/api/src/ok.ts', "import { Injectable } from '@nestjs/common';\nimport { PROTOCOL_VERSION } from '@confer/signaling-contracts';\nexport const x = [Injectable, PROTOCOL_VERSION];\n"),
    ).toEqual([]);
  });

  it('deep imports into mediasoup internals fail lint', async () => {
    const errors = await lint('apps/api/src/bad.ts', "import { Router } from 'mediasoup/node/lib/Router';\nexport const x = Router;\n");
    expect(errors.some((e) => e.startsWith('no-restricted-imports'))).toBe(true);
  });
});
