import { spawn, type ChildProcess } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { Emily } from '../../electron/core/emily.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import type { UserRecord } from '../../electron/databases/catalog.js';
import { doctorAll } from '../../electron/operations/doctorAll.js';
import { moveUser } from '../../electron/operations/moveUser.js';
import { createUser } from '../../electron/operations/users.js';
import { moveDebris, useTwoServers, userDatabasesOn, type SecondServer } from '../support/secondServer.js';

/**
 * Moves that die half-way: the mover process SIGKILLed before and after the switch, and
 * the target server killed during the copy. Afterwards the user is on exactly one server,
 * working, with every acknowledged write, and no replication slot is left anywhere.
 */
const servers = useTwoServers('emily-test-crash-');
let home: string;
let second: SecondServer;
let emily: Emily;
beforeAll(() => void ({ home, second, emily } = servers));

const local = () => emily.servers.admin('local');
const two = () => emily.servers.admin('two');

async function seeded(name: string): Promise<UserRecord> {
  const u = await createUser(emily, name, { server: 'local' });
  await emily.withUserTransaction(u.id, async (c) => {
    const conv = (await c.query<{ id: string }>("INSERT INTO conversations (title) VALUES ('seed') RETURNING id")).rows[0]!.id;
    await c.query("INSERT INTO turns (conversation_id, role, content) SELECT $1, 'user', 'seed turn ' || g FROM generate_series(1, 300) g", [conv]);
    await c.query("INSERT INTO memories (content, kind, source) SELECT 'seed memory ' || g, 'fact', 'user-stated' FROM generate_series(1, 300) g");
  });
  return u;
}

async function fingerprint(e: Emily, userId: string): Promise<string> {
  return e.withUser(userId, async (c) => (await c.query<{ h: string }>("SELECT md5(string_agg(content, ',' ORDER BY id)) || ':' || count(*) AS h FROM (SELECT id, content FROM turns UNION ALL SELECT -id, content FROM memories) x")).rows[0]!.h);
}

/** `emily move` in its own process, paused at a step so the test can SIGKILL it there. */
async function moverPausedAt(userId: string, step: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/emily.mjs', 'move', '--user', userId, '--to', 'two', '--json'], {
    env: { ...process.env, EMILY_HOME: home, EMILY_MOVE_PAUSE_AT: step, EMILY_SPARE_DATABASES: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mover did not reach ${step}: ${stderr}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes(`paused at ${step}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mover exited (${code}) before ${step}: ${stderr}`));
    });
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

async function canLogin(admin: ReturnType<typeof local>, role: string): Promise<boolean | undefined> {
  return withAdminClient(admin, 'postgres', async (c) => (await c.query<{ l: boolean }>('SELECT rolcanlogin AS l FROM pg_roles WHERE rolname = $1', [role])).rows[0]?.l);
}

describe('interrupted moves', () => {
  it('a mover killed during the switch (source frozen): on restart the user is back on the source, working, nothing lost', async () => {
    const u = await seeded('killed while frozen');
    const before = await fingerprint(emily, u.id);
    const child = await moverPausedAt(u.id, 'frozen');
    expect((await emily.catalog.get(u.id)).status).toBe('moving');
    expect(await canLogin(local(), u.roleName)).toBe(false);
    await kill(child);
    // Until then, a call says what happened and what to do (no mover holds the move lock).
    await expect(emily.withUser(u.id, (c) => c.query('SELECT 1'))).rejects.toMatchObject({ code: 'BUSY', message: expect.stringContaining('was interrupted') });
    // "On restart": opening Emily finds the interrupted move and undoes it.
    const again = await Emily.open({ home, spareDatabases: 0 });
    try {
      const now = await again.catalog.get(u.id);
      expect([now.server, now.status]).toEqual(['local', 'ready']);
      expect(await fingerprint(again, u.id)).toBe(before);
      await again.withUser(u.id, (c) => c.query("INSERT INTO conversations (title) VALUES ('after the crash')"));
    } finally {
      await again.close({ stopServer: false });
    }
    expect(await canLogin(local(), u.roleName)).toBe(true);
    expect(await userDatabasesOn(two())).not.toContain(u.dbName);
    expect(await canLogin(two(), u.roleName)).toBeUndefined();
    expect(await moveDebris(local())).toEqual([]);
    expect(await moveDebris(two())).toEqual([]);
  });

  it("a user's calls in another process wait out a move's switch, then land on the new server, instead of failing", async () => {
    const u = await seeded('waits for the switch');
    await emily.withUser(u.id, (c) => c.query('SELECT 1')); // this process knows where the user lives
    // Another Emily (its own pools, as another process has) moves the user and holds the switch open.
    const mover = await Emily.open({ home, spareDatabases: 0 });
    let reached!: () => void;
    const atFrozen = new Promise<void>((r) => (reached = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    try {
      const move = moveUser(mover, u.id, 'two', {
        at: async (step) => {
          if (step !== 'frozen') return;
          reached();
          await released;
        },
      });
      await atFrozen;
      expect((await emily.catalog.get(u.id)).status).toBe('moving');
      let outcome = 'pending';
      const write = emily.withUser(u.id, (c) => c.query("INSERT INTO conversations (title) VALUES ('during the switch')"));
      write.then(() => (outcome = 'done'), (e: Error) => (outcome = `failed: ${e.message}`));
      await new Promise((r) => setTimeout(r, 1000));
      expect(outcome).toBe('pending');
      release();
      expect((await move).to).toBe('two');
      await write;
      expect((await emily.catalog.get(u.id)).server).toBe('two');
      const titles = await emily.withUser(u.id, async (c) => (await c.query<{ title: string }>('SELECT title FROM conversations ORDER BY id')).rows.map((r) => r.title));
      expect(titles).toEqual(['seed', 'during the switch']);
    } finally {
      release();
      await mover.close({ stopServer: false });
    }
  });

  it('a mover killed mid-copy: the user kept working on the source meanwhile; on restart nothing is lost and the half copy is cleaned', async () => {
    const u = await seeded('killed mid-copy');
    const child = await moverPausedAt(u.id, 'subscribed');
    // The copy is under way on the target; the user is writing all along.
    expect(await userDatabasesOn(two())).toContain(u.dbName);
    await emily.withUser(u.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('written during the copy', 'fact', 'user-stated')"));
    const before = await fingerprint(emily, u.id);
    await kill(child);
    const again = await Emily.open({ home, spareDatabases: 0 });
    try {
      const now = await again.catalog.get(u.id);
      expect([now.server, now.status]).toEqual(['local', 'ready']);
      expect(await fingerprint(again, u.id)).toBe(before);
      await again.withUser(u.id, (c) => c.query("INSERT INTO conversations (title) VALUES ('after the crash')"));
      const report = await doctorAll(again, { repair: true });
      expect(report.moves.filter((m) => m.userId === u.id).every((m) => m.repaired)).toBe(true);
    } finally {
      await again.close({ stopServer: false });
    }
    expect(await canLogin(local(), u.roleName)).toBe(true);
    expect(await userDatabasesOn(two())).not.toContain(u.dbName);
    expect(await moveDebris(local())).toEqual([]);
    expect(await moveDebris(two())).toEqual([]);
    // And the move can simply be made again.
    await moveUser(emily, u.id, 'two');
    expect((await emily.catalog.get(u.id)).server).toBe('two');
    expect(await fingerprint(emily, u.id)).toBe(before);
  });

  it('a mover killed right after the switch: doctor --repair finishes it; writes from another process all arrive on the target', async () => {
    const u = await seeded('killed after switch');
    const before = await fingerprint(emily, u.id);
    // This process keeps writing while another process moves the user.
    const acked: number[] = [];
    let stop = false;
    const writing = (async () => {
      const conv = await emily.withUser(u.id, async (c) => (await c.query<{ id: string }>("INSERT INTO conversations (title) VALUES ('w') RETURNING id")).rows[0]!.id);
      for (let i = 0; !stop; i++) {
        try {
          const r = await emily.withUser(u.id, (c) => c.query<{ id: string }>("INSERT INTO turns (conversation_id, role, content) VALUES ($1, 'user', $2) RETURNING id", [conv, `w${i}`]));
          acked.push(Number(r.rows[0]!.id));
        } catch {
          // refused during the switch (another process holds it): not acknowledged, retried
          await new Promise((r) => setTimeout(r, 20));
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const child = await moverPausedAt(u.id, 'switched');
    const afterSwitch = acked.length;
    await new Promise((r) => setTimeout(r, 500)); // writes continue, now on the target
    await kill(child);
    stop = true;
    await writing;
    expect(acked.length).toBeGreaterThan(afterSwitch);
    expect((await emily.catalog.get(u.id)).server).toBe('two');
    expect(await moveDebris(local())).not.toEqual([]); // the slot the killed mover never dropped
    const report = await doctorAll(emily, { repair: true });
    expect(report.moves.map((m) => [m.userId, m.repaired])).toEqual([[u.id, true]]);
    expect(report.ok).toBe(true);
    const now = await emily.catalog.get(u.id);
    expect([now.server, now.status]).toEqual(['two', 'ready']);
    const ids = await emily.withUser(u.id, async (c) => new Set((await c.query<{ id: string }>('SELECT id FROM turns')).rows.map((r) => Number(r.id))));
    expect(acked.filter((id) => !ids.has(id))).toEqual([]);
    const seedOnly = await emily.withUser(u.id, async (c) => (await c.query<{ h: string }>("SELECT md5(string_agg(content, ',' ORDER BY id)) || ':' || count(*) AS h FROM (SELECT id, content FROM turns WHERE content LIKE 'seed%' UNION ALL SELECT -id, content FROM memories) x")).rows[0]!.h);
    expect(seedOnly).toBe(before);
    expect(await userDatabasesOn(local())).not.toContain(u.dbName);
    expect(await canLogin(local(), u.roleName)).toBeUndefined();
    expect(await moveDebris(local())).toEqual([]);
    expect(await moveDebris(two())).toEqual([]);
  });

  it('a target server killed during the move: the user stays on the source and works; doctor cleans the target once it is back', async () => {
    const u = await seeded('target dies');
    const before = await fingerprint(emily, u.id);
    const err = await moveUser(emily, u.id, 'two', {
      at: async (step) => {
        if (step === 'synced') second.kill();
      },
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/they stay on "local": server "two" stopped answering during the move .*"emily doctor --repair" once it is back/);
    const now = await emily.catalog.get(u.id);
    expect([now.server, now.status]).toEqual(['local', 'ready']);
    expect(await fingerprint(emily, u.id)).toBe(before);
    await emily.withUser(u.id, (c) => c.query("INSERT INTO conversations (title) VALUES ('still here')"));
    expect(await moveDebris(local())).toEqual([]); // no slot holds WAL back on the source
    await second.start();
    const report = await doctorAll(emily, { repair: true });
    expect(report.moves.find((m) => m.userId === u.id)?.repaired).toBe(true);
    expect(await userDatabasesOn(two())).not.toContain(u.dbName);
    expect(await moveDebris(two())).toEqual([]);
    expect((await doctorAll(emily, { repair: false })).ok).toBe(true);
  });

  it('table-copy slots a killed copy left in the user\'s database are found by doctor and dropped by --repair (they would hold WAL and block DROP DATABASE)', async () => {
    const u = await seeded('table-copy slot left');
    // What the target's table-copy workers make on the source: pg_<sub oid>_sync_<table oid>_<system id>.
    const slot = 'pg_4242_sync_16384_7716402693658067418';
    await withAdminClient(local(), u.dbName, (c) => c.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]));
    expect(await moveDebris(local())).toEqual([`slot ${slot}`]);
    const check = await doctorAll(emily, { repair: false });
    expect(check.moves.find((m) => m.userId === u.id)?.found).toEqual([`replication slot ${slot} on server "local"`]);
    const report = await doctorAll(emily, { repair: true });
    expect(report.moves.find((m) => m.userId === u.id)?.repaired).toBe(true);
    expect(await moveDebris(local())).toEqual([]);
    // The user is untouched, and a move afterwards works.
    const before = await fingerprint(emily, u.id);
    await moveUser(emily, u.id, 'two');
    expect(await fingerprint(emily, u.id)).toBe(before);
    expect(await userDatabasesOn(local())).not.toContain(u.dbName);
  });

  it('a source server without wal_level = logical is refused with what to do, before anything is made', async () => {
    const u = await createUser(emily, 'from two', { server: 'two' });
    const setWal = (sql: string) => withAdminClient(two(), 'postgres', (c) => c.query(sql));
    await setWal("ALTER SYSTEM SET wal_level = 'replica'");
    await second.cluster.stop({ force: true });
    await second.start();
    try {
      const e1 = (await moveUser(emily, u.id, 'local').catch((e: unknown) => e)) as { code: string; message: string };
      expect(e1.code).toBe('CONFLICT');
      expect(e1.message).toMatch(/wal_level = replica.*set wal_level = logical/);
      await setWal('ALTER SYSTEM RESET wal_level');
      await setWal('SELECT pg_reload_conf()');
      const e2 = await moveUser(emily, u.id, 'local').catch((e: Error) => e);
      expect((e2 as Error).message).toMatch(/has not been restarted/);
      expect(await userDatabasesOn(local())).not.toContain(u.dbName);
      expect(await moveDebris(two())).toEqual([]);
    } finally {
      await setWal('ALTER SYSTEM RESET wal_level').catch(() => undefined);
      await second.cluster.stop({ force: true });
      await second.start();
    }
    const moved = await moveUser(emily, u.id, 'local');
    expect(moved.to).toBe('local');
  });

  it('a transaction still open at the switch is cut off, not committed to the old copy, and the move completes', async () => {
    const u = await seeded('long transaction');
    let failure: unknown;
    let long: Promise<unknown> | undefined;
    const r = await moveUser(emily, u.id, 'two', {
      drainMs: 300,
      at: async (step) => {
        if (step !== 'synced') return;
        // Opened after the copy began (a transaction already open when the slot is made delays the slot instead).
        let holding!: () => void;
        const held = new Promise<void>((res) => (holding = res));
        long = emily
          .withUserTransaction(u.id, async (c) => {
            await c.query("INSERT INTO conversations (title) VALUES ('never acknowledged')");
            holding();
            for (let i = 0; i < 300; i++) await c.query('SELECT pg_sleep(0.1)'); // until the switch cuts it off
          })
          .catch((e: unknown) => (failure = e));
        await held;
      },
    });
    expect(r.to).toBe('two');
    await long;
    expect(failure).toBeDefined(); // the caller was told: nothing it wrote counts
    const titles = await emily.withUser(u.id, async (c) => (await c.query<{ title: string }>('SELECT title FROM conversations')).rows.map((x) => x.title));
    expect(titles).toEqual(['seed']);
    expect(await moveDebris(local())).toEqual([]);
  });

  it('an external server that dies and comes back: its users get a clear error meanwhile, then work again without restarting Emily; others never notice', async () => {
    const there = await Promise.all([0, 1, 2].map((i) => createUser(emily, `on two ${i}`, { server: 'two' })));
    const here = await createUser(emily, 'on local', { server: 'local' });
    const write = (id: string, what: string) => emily.withUser(id, (c) => c.query('INSERT INTO memories (content, kind, source) VALUES ($1, $2, $3)', [what, 'fact', 'user-stated']));
    for (const u of there) await write(u.id, 'before the crash');
    const budget = emily.users.pools.budgetOf('two');
    expect(budget.inUse).toBeGreaterThan(0); // idle connections to "two" are held
    second.crash();
    try {
      for (const u of there) await expect(write(u.id, 'while down')).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE' });
      await write(here.id, 'local is fine');
      // No permit is kept by a connection to the dead server.
      for (let i = 0; i < 100 && budget.inUse > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(budget.inUse).toBe(0);
    } finally {
      await second.start();
    }
    for (const u of there) await write(u.id, 'after the restart');
    for (const u of there) {
      const rows = await emily.withUser(u.id, async (c) => (await c.query<{ content: string }>('SELECT content FROM memories ORDER BY id')).rows.map((r) => r.content));
      expect(rows).toEqual(['before the crash', 'after the restart']);
    }
  });
});

