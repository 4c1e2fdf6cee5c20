import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, getTableColumns, getTableName, sql } from 'drizzle-orm';
import { databaseBackends, postgresBin, startPostgres, type PostgresServer } from '../../test/support/postgres-server';
import { AuditLogService } from '../history/audit-log.service';
import { MeetingHistoryService } from '../history/meeting-history.service';
import { openDatabase, type DatabaseConnection } from './database';
import { databaseTarget, describeTarget } from './database-url';
import { schema } from './schema';

describe('databaseTarget', () => {
  it('reads PostgreSQL URLs, memory: and the embedded default', () => {
    expect(databaseTarget(undefined, '/data')).toEqual({ kind: 'embedded', dir: '/data/db' });
    expect(databaseTarget('memory:', '/data')).toEqual({ kind: 'embedded', dir: null });
    expect(databaseTarget('postgresql://u:p@h:5432/d', '/data')).toEqual({ kind: 'postgres', url: 'postgresql://u:p@h:5432/d' });
    expect(databaseTarget('mysql://h/d', '/data')).toBeNull();
  });

  it('never shows the password in the description', () => {
    expect(describeTarget({ kind: 'postgres', url: 'postgres://u:secret@db.local:5433/confer' })).toBe('PostgreSQL db.local:5433/confer');
  });
});

describe.each(databaseBackends())('database on $name', ({ name, available, why }) => {
  let server: PostgresServer | undefined;
  let connection: DatabaseConnection;

  beforeAll(async () => {
    if (!available) return;
    if (name === 'postgres') server = await startPostgres(postgresBin() as string);
    connection = await openDatabase(server ? { kind: 'postgres', url: server.url } : { kind: 'embedded', dir: null });
  }, 60_000);
  afterAll(async () => {
    await connection?.close();
    server?.stop();
  });

  const it_ = available ? it : it.skip;
  if (!available) it.skip(`skipped: ${why}`, () => undefined);

  it_('applies the migrations: every table of the schema exists with the columns the schema declares', async () => {
    for (const table of Object.values(schema)) {
      const name = getTableName(table);
      const result = await connection.db.execute(sql`select column_name from information_schema.columns where table_name = ${name}`);
      const columns = (result as unknown as { rows: { column_name: string }[] }).rows.map((r) => r.column_name).sort();
      const declared = Object.values(getTableColumns(table)).map((c) => c.name).sort();
      expect(columns).toEqual(declared);
    }
  });

  it_('a restart on an existing database keeps its rows and migrates nothing twice', async () => {
    const dir = name === 'embedded' ? mkdtempSync(path.join(tmpdir(), 'confer-db-')) : null;
    const target = server ? ({ kind: 'postgres', url: server.url } as const) : ({ kind: 'embedded', dir } as const);
    try {
      const first = await openDatabase(target);
      await first.db.insert(schema.rooms).values({ id: `restart-${name}`, settings: { lobby: true }, createdBy: 'test' });
      await first.close();
      const second = await openDatabase(target);
      const rows = await second.db.select().from(schema.rooms).where(eq(schema.rooms.id, `restart-${name}`));
      const applied = await second.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      await second.close();
      expect(rows).toHaveLength(1);
      expect((applied as unknown as { rows: { n: number }[] }).rows[0].n).toBe(1);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it_('audit trail: recorded in order, filtered by room, paged newest first', async () => {
    const audit = new AuditLogService(connection);
    for (let i = 0; i < 5; i++) {
      void audit.record({ actor: { kind: 'participant', id: `u${i}` }, action: 'moderation.mute', roomId: i % 2 ? 'odd' : 'even', target: `p${i}`, outcome: i === 4 ? 'forbidden' : 'ok', detail: { i } });
    }
    await audit.flush();
    const first = await audit.list({ limit: 2, roomId: 'even' });
    expect(first.items.map((e) => e.target)).toEqual(['p4', 'p2']);
    expect(first.items[0]).toMatchObject({ outcome: 'forbidden', actor: { kind: 'participant', id: 'u4' }, detail: { i: 4 } });
    const second = await audit.list({ limit: 2, roomId: 'even', cursor: first.nextCursor as string });
    expect(second.items.map((e) => e.target)).toEqual(['p0']);
    expect(second.nextCursor).toBeNull();
  });

  it_('meeting history: start, joins, leaves and end, with every participant', async () => {
    const history = new MeetingHistoryService(connection);
    const t0 = new Date('2026-12-01T10:00:00Z');
    history.started('room-h', t0);
    const id = history.meetingOf('room-h') as string;
    history.joined('room-h', { peerId: 'a', subject: 'alice', displayName: 'Alice', role: 'host' }, new Date(t0.getTime() + 1000));
    history.joined('room-h', { peerId: 'b', subject: 'bob', displayName: 'Bob', role: 'participant' }, new Date(t0.getTime() + 2000));
    history.left('room-h', 'b', new Date(t0.getTime() + 3000), 'left');
    history.finished('room-h', new Date(t0.getTime() + 4000), 'empty');
    await history.flush();
    const meeting = await history.get(id);
    expect(meeting).toMatchObject({ roomId: 'room-h', endReason: 'empty', endedAt: '2026-12-01T10:00:04.000Z' });
    expect(meeting?.participants).toEqual([
      expect.objectContaining({ subject: 'alice', role: 'host', leftReason: 'empty', leftAt: '2026-12-01T10:00:04.000Z' }),
      expect.objectContaining({ subject: 'bob', leftReason: 'left', leftAt: '2026-12-01T10:00:03.000Z' }),
    ]);
    const page = await history.list({ limit: 10, roomId: 'room-h' });
    expect(page.items.map((m) => m.id)).toEqual([id]);
    expect(await history.get('no-such-meeting')).toBeNull();
  });
});
