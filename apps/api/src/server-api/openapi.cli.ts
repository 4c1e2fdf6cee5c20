// Writes (or with --check, compares) docs/openapi.json: the server API document
// generated from the controllers and DTOs, checked in CI like PROTOCOL.md.
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app/app.module';
import { buildOpenApiDocument } from './openapi';

const OUT = path.resolve(__dirname, '../../../../docs/openapi.json');

async function main(): Promise<void> {
  // Only the route metadata is read: nothing listens and no worker starts (the app is never initialised).
  Object.assign(process.env, { DEV_TOKENS: 'true', DATABASE_URL: 'memory:', LOG_LEVEL: 'silent', API_KEYS: '' });
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  const text = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  await app.close();
  if (process.argv.includes('--check')) {
    const current = readFileSync(OUT, 'utf8');
    if (current !== text) {
      console.error('docs/openapi.json is out of date: run `npm run nx -- run api:openapi` and commit it');
      process.exit(1);
    }
    console.log('docs/openapi.json is up to date');
  } else {
    writeFileSync(OUT, text);
    console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
  }
}

void main().catch((error: Error) => {
  console.error(error.stack);
  process.exit(1);
});
