import { describe, expect, it } from 'vitest';
import { enqueueJob } from '../../electron/jobs/queue.js';
import { BackgroundSwitch, JobRunner } from '../../electron/jobs/index.js';
import { useTestEmily } from '../support/testEmily.js';
import { testTempDir } from '../support/tempDir.js';

const t = useTestEmily();

describe('the job runner looks less often at users with nothing to do', () => {
  it('backs off on empty job tables, comes back on a nudge, and runs what was queued', async () => {
    const [idle, busy] = [await t.user('idle'), await t.user('busy')];
    const ran: string[] = [];
    const runner = new JobRunner({
      door: t.emily,
      handlers: { 'test-job': async ({ userId }) => (ran.push(userId), {}) },
      switch: new BackgroundSwitch(testTempDir('emily-jobs-')),
      listUsers: async () => [idle.id, busy.id],
      pollMs: 1_000,
      maxIdlePollMs: 60_000,
    });
    // First pass: both are new, both looked at.
    expect(await runner.tick()).toBe(2);
    // Right after: neither is due (an empty table doubles the pause).
    expect(await runner.tick()).toBe(0);
    // Work queued by the busy user's activity, then a nudge: only that user is looked at, and its job runs.
    await t.emily.withUser(busy.id, (c) => enqueueJob(c, 'test-job', {}));
    runner.nudge(busy.id);
    expect(await runner.tick()).toBe(1);
    expect(ran).toEqual([busy.id]);
    expect(await runner.tick()).toBe(0);
  });

  it('looks at no more than its per-tick share of users, the most overdue first', async () => {
    const users = [await t.user('a'), await t.user('b'), await t.user('c')];
    const runner = new JobRunner({
      door: t.emily,
      handlers: {},
      switch: new BackgroundSwitch(testTempDir('emily-jobs-')),
      listUsers: async () => users.map((u) => u.id),
      pollMs: 60_000,
      maxLooksPerTick: 2,
    });
    expect(await runner.tick()).toBe(2);
    expect(await runner.tick()).toBe(1); // the third, still due
    expect(await runner.tick()).toBe(0);
    runner.nudge(users[2]!.id);
    expect(await runner.tick()).toBe(1);
  });

  it('looks at users whose connection is open, and opens few new connections per tick', async () => {
    const [warm, coldA, coldB] = [await t.user('warm'), await t.user('cold a'), await t.user('cold b')];
    await t.emily.withUser(warm.id, (c) => c.query('SELECT 1'));
    await t.emily.users.forget(coldA.id);
    await t.emily.users.forget(coldB.id);
    expect([warm, coldA, coldB].map((u) => t.emily.users.hasConnection(u.id))).toEqual([true, false, false]);
    const looked: string[] = [];
    const runner = new JobRunner({
      door: { withUser: (id, fn) => (looked.push(id), t.emily.withUser(id, fn)), withUserTransaction: t.emily.withUserTransaction },
      handlers: {},
      switch: new BackgroundSwitch(testTempDir('emily-jobs-')),
      listUsers: async () => [coldA.id, coldB.id, warm.id],
      pollMs: 60_000,
      hasConnection: (id) => t.emily.users.hasConnection(id),
      maxColdLooksPerTick: 1,
    });
    expect(await runner.tick()).toBe(2);
    expect(looked).toEqual([coldA.id, warm.id]);
    expect(await runner.tick()).toBe(1); // the cold user passed over is still due
    expect(looked.slice(2)).toEqual([coldB.id]);
    expect(await runner.tick()).toBe(0);
  });
});

describe('the job runner with long jobs', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const freshSwitch = () => new BackgroundSwitch(testTempDir('emily-jobs-'));

  it("one user's long job does not hold up another user's job", async () => {
    const [slow, quick] = [await t.user('slow jobs'), await t.user('quick jobs')];
    const events: string[] = [];
    const runner = new JobRunner({
      door: t.emily,
      handlers: {
        long: async () => (events.push('long started'), await sleep(1500), events.push('long done'), {}),
        short: async () => (events.push('short done'), {}),
      },
      switch: freshSwitch(),
      listUsers: async () => [slow.id, quick.id],
      pollMs: 60_000,
    });
    await t.emily.withUser(slow.id, (c) => enqueueJob(c, 'long', {}));
    await t.emily.withUser(quick.id, (c) => enqueueJob(c, 'short', {}));
    expect(await runner.tick()).toBe(2);
    // The quick user's job ran while the slow one's was running (which starts first is a race).
    expect(events.indexOf('short done')).toBeLessThan(events.indexOf('long done'));
    expect(events).toHaveLength(3);
  });

  it('a step longer than the lease keeps its job: a second runner does not run it again', async () => {
    const u = await t.user('lease');
    let runs = 0;
    const handlers = { step: async () => (runs++, await sleep(1200), {}) };
    const sw = freshSwitch();
    const a = new JobRunner({ door: t.emily, handlers, switch: sw, leaseMs: 300, workerId: 'a' });
    const b = new JobRunner({ door: t.emily, handlers, switch: sw, leaseMs: 300, workerId: 'b' });
    const { job } = await t.emily.withUser(u.id, (c) => enqueueJob(c, 'step', {}));
    const first = a.runOne(u.id);
    // b keeps looking while a's only step runs, well past a's 300 ms lease.
    for (let i = 0; i < 8; i++) {
      await sleep(150);
      expect(await b.runOne(u.id)).toBeNull();
    }
    expect(await first).toMatchObject({ id: job.id, status: 'done', attempts: 1 });
    expect(runs).toBe(1);
  });
});
