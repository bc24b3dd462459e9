import { EmilyError } from '../../../electron/core/errors.js';
import { describe, expect, it } from 'vitest';
import { checkDrift, checkEmbeddings, driftReport, HashEmbedder, learnFromExchange, listSelfCorrections, recall, setEmbeddingModel } from '../../../electron/cognition/index.js';
import { BackgroundSwitch, cognitionHandlers, enqueueJob, getJob, JobRunner, listJobs } from '../../../electron/jobs/index.js';
import { loadMigrations } from '../../../electron/databases/migrations.js';
import { recomputeOutcomeMetrics } from '../../../electron/cognition/earl.js';
import { loadFramework } from '../../../electron/cognition/framework.js';
import { useTestEmily } from '../../support/testEmily.js';
import { testTempDir } from '../../support/tempDir.js';

const t = useTestEmily();

const FACTS = [
  'I love hiking in the mountains.',
  'My brother Tom lives in Oslo.',
  'I work as a teacher at a primary school.',
  'I am allergic to cats.',
  'I prefer tea over coffee in the morning.',
  'My daughter Mia is seven years old.',
  'I want to learn Spanish this year.',
  'I hate waking up early on weekends.',
  'My car is a blue Volvo from 2012.',
  'I enjoy reading science fiction novels.',
  'I play the guitar in a small band.',
  'My best friend Sara moved to Berlin.',
];

function freshSwitch(): BackgroundSwitch {
  return new BackgroundSwitch(testTempDir('emily-switch-'));
}

describe('drift and self-correction', () => {
  it('baselines, measures drift, queues and runs a self-correction that records before/after', async () => {
    const u = await t.user('drifter');
    for (const f of FACTS) await learnFromExchange(t.emily, u.id, { userText: f });
    const first = await checkDrift(t.emily, u.id);
    expect(first.baselineCreated).toBe(true);
    expect(first.report.level).toBe('ok');
    expect(first.report.drift).toBe(0);
    // Outcomes turn sour: the means move away from the baseline.
    await t.emily.withUser(u.id, (c) => c.query('UPDATE memories SET outcome = 0.1, epsilon = 0.2, coherence = 0.4'));
    const drifted = await checkDrift(t.emily, u.id);
    expect(drifted.report.level).toBe('critical');
    expect(drifted.report.drift).toBeGreaterThan(0.2);
    expect(drifted.job?.kind).toBe('self-correct');
    // Archive backlog: turns that the learning cycle never saw.
    await t.emily.withUser(u.id, async (c) => {
      const conv = await c.query("INSERT INTO conversations (title, source) VALUES ('imported', 'import') RETURNING id");
      await c.query("INSERT INTO turns (conversation_id, role, content, source) VALUES ($1, 'user', 'My grandmother Rosa was born in Naples.', 'import')", [conv.rows[0].id]);
    });
    const runner = new JobRunner({ door: t.emily, handlers: cognitionHandlers(), switch: freshSwitch() });
    const job = await runner.runOne(u.id);
    expect(job?.status).toBe('done');
    expect(job?.progress).toBe(1);
    const [sc] = await listSelfCorrections(t.emily, u.id);
    expect(sc!.finishedAt).not.toBeNull();
    const before = sc!.before as { drift: number };
    const after = sc!.after as { drift: number; level: string; perMetric: Record<string, number>; newBaselineId: number | null; steps: { consolidated: { turns: number; promoted: number }; reweighted: number } };
    expect(before.drift).toBeGreaterThan(0.2);
    expect(after.steps.consolidated).toMatchObject({ turns: 1, promoted: 1 });
    expect(after.steps.reweighted).toBe(FACTS.length + 1);
    // The drift had no cause in the outcome history (there is none): re-weighting from that
    // history restores outcome, epsilon and coherence, and drift is back under the warning level.
    expect(after.level).toBe('ok');
    expect(after.perMetric.outcome).toBeLessThan(0.01);
    expect(after.perMetric.epsilon).toBeLessThan(0.05);
    expect(after.newBaselineId).not.toBeNull();
    const restored = await t.emily.withUser(u.id, (c) => c.query("SELECT min(outcome) AS lo, max(outcome) AS hi FROM memories WHERE content NOT LIKE '%Rosa%'"));
    expect([restored.rows[0].lo, restored.rows[0].hi]).toEqual([0.5, 0.5]);
    const rosa = await t.emily.withUser(u.id, (c) => c.query("SELECT count(*)::int AS n FROM memories WHERE content LIKE '%Rosa%'"));
    expect(rosa.rows[0].n).toBe(1);
    const now = await driftReport(t.emily, u.id);
    expect(now.level).toBe('ok');
    expect(now.baseline!.id).toBeGreaterThan(drifted.report.baseline!.id);
  });
});

describe('self-correction that cannot correct', () => {
  it('records that drift stayed high, re-baselines, and so does not queue itself again at the next check', async () => {
    const u = await t.user('soured');
    for (const f of FACTS) await learnFromExchange(t.emily, u.id, { userText: f });
    const first = await checkDrift(t.emily, u.id);
    expect(first.baselineCreated).toBe(true);
    // Every memory was used and judged wrong, again and again: a real change, not noise.
    await t.emily.withUser(u.id, async (c) => {
      await c.query("INSERT INTO outcome_events (memory_id, use_id, turn_id, signal, value) SELECT m.id, NULL, NULL, 'wrong', -1 FROM memories m, generate_series(1, 6)");
      const ids = (await c.query('SELECT id FROM memories')).rows.map((r) => Number(r.id));
      await recomputeOutcomeMetrics(c, ids, (await loadFramework(c)).params);
    });
    const drifted = await checkDrift(t.emily, u.id);
    expect(['warning', 'critical']).toContain(drifted.report.level);
    const runner = new JobRunner({ door: t.emily, handlers: cognitionHandlers(), switch: freshSwitch() });
    expect((await runner.runOne(u.id))?.status).toBe('done');
    const [sc] = await listSelfCorrections(t.emily, u.id);
    const after = sc!.after as { level: string; newBaselineId: number | null };
    expect(['warning', 'critical']).toContain(after.level);
    expect(after.newBaselineId).not.toBeNull();
    const now = await driftReport(t.emily, u.id);
    expect(now.baseline!.id).toBe(after.newBaselineId);
    expect(now.level).toBe('ok');
    const again = await checkDrift(t.emily, u.id);
    expect(again.job).toBeNull();
  });
});

describe('self-correction stopped midway', () => {
  it('ends its record, saying it was interrupted, instead of leaving it running for ever', async () => {
    const u = await t.user('interrupted');
    for (const f of FACTS) await learnFromExchange(t.emily, u.id, { userText: f });
    await checkDrift(t.emily, u.id);
    const { selfCorrect } = await import('../../../electron/cognition/selfCorrection.js');
    const paused = () => Promise.reject(new EmilyError('BUSY', 'background work is paused'));
    await expect(selfCorrect(t.emily, u.id, 'test', { progress: paused })).rejects.toMatchObject({ code: 'BUSY' });
    const [sc] = await listSelfCorrections(t.emily, u.id);
    expect(sc).toMatchObject({ reason: 'test (interrupted: background work is paused)', after: null });
    expect(sc!.finishedAt).not.toBeNull();
  });
});

describe('jobs', () => {
  it('claims with SKIP LOCKED, dedupes, reaps an expired lease, and honours the pause switch', async () => {
    const u = await t.user('jobber');
    const ran: number[] = [];
    const sw = freshSwitch();
    const handlers = { 'test.work': async (ctx: { job: { id: number }; progress: (p: number) => Promise<void> }) => { await ctx.progress(0.5); ran.push(ctx.job.id); return { ok: true }; } };
    const a = await t.emily.withUser(u.id, (c) => enqueueJob(c, 'test.work', {}, { dedupeKey: 'k' }));
    const b = await t.emily.withUser(u.id, (c) => enqueueJob(c, 'test.work', {}, { dedupeKey: 'k' }));
    expect(b.created).toBe(false);
    expect(b.job.id).toBe(a.job.id);
    // A worker that claimed it and died: lease in the past.
    await t.emily.withUser(u.id, (c) => c.query("UPDATE jobs SET status = 'running', locked_by = 'dead', locked_until = now() - interval '1 second', attempts = 1 WHERE id = $1", [a.job.id]));
    sw.pause();
    const runner = new JobRunner({ door: t.emily, handlers, switch: sw });
    expect(await runner.runOne(u.id)).toBeNull();
    expect(ran).toEqual([]);
    sw.resume();
    const done = await runner.runOne(u.id);
    expect(done).toMatchObject({ id: a.job.id, status: 'done', attempts: 2 });
    expect(ran).toEqual([a.job.id]);
    // Two runners racing for two jobs each take a different one.
    await t.emily.withUser(u.id, async (c) => {
      await enqueueJob(c, 'test.work');
      await enqueueJob(c, 'test.work');
    });
    const r2 = new JobRunner({ door: t.emily, handlers, switch: sw });
    const [x, y] = await Promise.all([runner.runOne(u.id), r2.runOne(u.id)]);
    expect(x!.id).not.toBe(y!.id);
    expect(ran).toHaveLength(3);
  });

  it('pausing mid-job puts it back in the queue; a failing job is retried then fails with its error', async () => {
    const u = await t.user('pauser');
    const sw = freshSwitch();
    const handlers = {
      slow: async (ctx: { progress: (p: number) => Promise<void> }) => {
        sw.pause();
        await ctx.progress(0.3);
        return {};
      },
      broken: async () => {
        throw new Error('boom');
      },
    };
    const runner = new JobRunner({ door: t.emily, handlers, switch: sw });
    const j = await t.emily.withUser(u.id, (c) => enqueueJob(c, 'slow'));
    const back = await runner.runOne(u.id);
    expect(back).toMatchObject({ id: j.job.id, status: 'queued', attempts: 0 });
    sw.resume();
    await t.emily.withUser(u.id, (c) => c.query("UPDATE jobs SET status = 'cancelled' WHERE kind = 'slow'"));
    const f = await t.emily.withUser(u.id, (c) => enqueueJob(c, 'broken'));
    for (let i = 0; i < 3; i++) {
      await runner.runOne(u.id);
      await t.emily.withUser(u.id, (c) => c.query('UPDATE jobs SET run_after = now() WHERE id = $1', [f.job.id]));
    }
    const failed = await t.emily.withUser(u.id, (c) => getJob(c, f.job.id));
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
    expect(failed.lastError).toMatch(/boom/);
  });

  it('switching embedding model queues a re-embedding; retrieval works meanwhile; the job fills the vectors', async () => {
    const u = await t.user('switcher');
    for (const f of FACTS.slice(0, 5)) await learnFromExchange(t.emily, u.id, { userText: f });
    const other = new HashEmbedder(128);
    const status = await setEmbeddingModel(t.emily, u.id, { kind: 'builtin' }, other);
    expect(status.missing).toBe(5);
    expect(status.missingTurns).toBe(5);
    expect(status.job?.kind).toBe('reembed');
    const idx = await t.emily.withUser(u.id, (c) => c.query("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'memory_embeddings_hnsw_%' ORDER BY 1"));
    expect(idx.rows.map((r) => r.indexname)).toEqual(['memory_embeddings_hnsw_1', 'memory_embeddings_hnsw_2']);
    // Before the job: no vectors of the new model, full-text still finds it.
    const during = await recall(t.emily, u.id, 'Oslo brother', { embedder: other, memoriesOnly: true });
    expect(during.results[0]!.content).toMatch(/Oslo/);
    expect(during.results[0]!.components.similarity).toBe(0);
    const runner = new JobRunner({ door: t.emily, handlers: cognitionHandlers({ embedderFor: async () => other }), switch: freshSwitch() });
    const job = await runner.runOne(u.id);
    expect(job).toMatchObject({ kind: 'reembed', status: 'done', progress: 1 });
    expect(job!.detail).toMatchObject({ model: other.id, embedded: 5, turns: 5 });
    const turnVectors = await t.emily.withUser(u.id, (c) => c.query('SELECT count(*)::int AS n FROM turn_embeddings WHERE model_idx = $1', [status.model.idx]));
    expect(turnVectors.rows[0].n).toBe(5);
    const after = await recall(t.emily, u.id, 'Oslo brother', { embedder: other, memoriesOnly: true });
    expect(after.results[0]!.components.similarity).toBeGreaterThan(0.2);
    const again = await checkEmbeddings(t.emily, u.id, other);
    expect(again).toMatchObject({ missing: 0, missingTurns: 0, job: null });
    expect(again.models.map((m) => [m.id, m.vectors])).toEqual([
      ['emily-hash-v1', 5],
      [other.id, 5],
    ]);
    expect((await t.emily.withUser(u.id, (c) => listJobs(c, { active: true })))).toEqual([]);
  });

  it('a profile from before turn vectors gets them: migration 0003 queues a job for the model in use', async () => {
    const u = await t.user('upgrader');
    for (const f of FACTS.slice(0, 3)) await learnFromExchange(t.emily, u.id, { userText: f, assistantText: 'Noted.' });
    const upgrade = loadMigrations('user').find((m) => m.name.includes('turn_vectors'))!;
    const vectors = () => t.emily.withUser(u.id, async (c) => (await c.query('SELECT count(*)::int AS n FROM turn_embeddings')).rows[0].n);
    await t.emily.withUser(u.id, async (c) => {
      // As a profile written before them: no turn vectors, no jobs.
      await c.query('DELETE FROM turn_embeddings');
      await c.query('DELETE FROM jobs');
      await c.query(upgrade.sql);
      await c.query(upgrade.sql); // a second run queues nothing more while the first is queued
    });
    expect(await vectors()).toBe(0);
    const runner = new JobRunner({ door: t.emily, handlers: cognitionHandlers(), switch: freshSwitch() });
    const job = await runner.runOne(u.id);
    expect(job).toMatchObject({ kind: 'reembed', status: 'done', progress: 1 });
    expect(job!.detail).toMatchObject({ model: 'emily-hash-v1', embedded: 0, turns: 6 });
    expect(await vectors()).toBe(6);
    expect(await t.emily.withUser(u.id, (c) => listJobs(c, {}))).toHaveLength(1);
  });
});
