import { randomBytes } from 'node:crypto';
import { toEmilyError } from '../core/errors.js';
import type { UserDoor } from '../cognition/context.js';
import type { BackgroundSwitch } from './backgroundSwitch.js';
import { claimJob, failJob, finishJob, getJob, reapExpired, releaseJob, reportProgress, type Job } from './queue.js';

export interface JobContext {
  door: UserDoor;
  userId: string;
  job: Job;
  /** Records progress and renews the lease; throws (and the job is re-queued) when paused or the lease is lost. */
  progress(fraction: number, detail?: Record<string, unknown>): Promise<void>;
}

/** A job kind's work; returns the detail recorded with the finished job. */
export type JobHandler = (ctx: JobContext) => Promise<Record<string, unknown>>;

class Stopped extends Error {
  constructor(readonly why: 'paused' | 'lease-lost') {
    super(why);
  }
}

export interface JobRunnerOptions {
  door: UserDoor;
  handlers: Record<string, JobHandler>;
  switch: BackgroundSwitch;
  /** The users whose job tables are polled by start(). */
  listUsers?: () => Promise<string[]>;
  workerId?: string;
  leaseMs?: number;
  pollMs?: number;
  /** Longest pause between two looks at a user whose job table keeps being empty. */
  maxIdlePollMs?: number;
  /** Most job tables looked at per tick (each look may open a server connection). */
  maxLooksPerTick?: number;
  /**
   * Whether a look at this user would reuse an open server connection. Looks that must open
   * one are capped at maxColdLooksPerTick: with hundreds of users sharing a few dozen
   * connections, each costs a new backend, and they compete with the users themselves.
   */
  hasConnection?: (userId: string) => boolean;
  maxColdLooksPerTick?: number;
}

/**
 * Runs background jobs of every user database, one at a time per runner, under the global
 * pause switch. Several runners (processes) can share the tables: claims skip locked rows.
 */
export class JobRunner {
  readonly workerId: string;
  private readonly leaseMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /**
   * When to look at each user's job table next. A user whose table was empty is looked at
   * half as often each time (up to maxIdlePollMs): with hundreds of users, polling every one
   * every few seconds would cost a server connection per user per tick. nudge() brings a
   * user back to the fast rate (their activity may have queued work).
   */
  private readonly schedule = new Map<string, { next: number; delay: number }>();

  constructor(private readonly o: JobRunnerOptions) {
    this.workerId = o.workerId ?? `w-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.leaseMs = o.leaseMs ?? 60_000;
  }

  /** Reaps expired leases, claims one job and runs it. Null when paused or nothing is ready. */
  async runOne(userId: string): Promise<Job | null> {
    if (this.o.switch.paused) return null;
    const { door } = this.o;
    const job = await door.withUser(userId, async (c) => {
      await reapExpired(c);
      return claimJob(c, this.workerId, this.leaseMs);
    });
    if (!job) return null;
    const handler = this.o.handlers[job.kind];
    const ctx: JobContext = {
      door,
      userId,
      job,
      progress: async (fraction, detail = {}) => {
        if (this.o.switch.paused) throw new Stopped('paused');
        const held = await door.withUser(userId, (c) => reportProgress(c, job.id, this.workerId, fraction, detail, this.leaseMs));
        if (!held) throw new Stopped('lease-lost');
      },
    };
    try {
      if (!handler) throw new Error(`no handler for jobs of kind "${job.kind}" in this version of Emily`);
      const detail = await handler(ctx);
      await door.withUser(userId, (c) => finishJob(c, job.id, this.workerId, detail));
    } catch (e) {
      if (e instanceof Stopped) {
        if (e.why === 'paused') await door.withUser(userId, (c) => releaseJob(c, job.id, this.workerId));
      } else {
        const err = toEmilyError(e);
        await door.withUser(userId, (c) => failJob(c, job.id, this.workerId, `${err.code}: ${err.message}`));
      }
    }
    return door.withUser(userId, (c) => getJob(c, job.id));
  }

  /** Runs jobs of one user until none is ready (or paused); returns how many ran. */
  async drain(userId: string, max = 100): Promise<number> {
    let n = 0;
    while (n < max && (await this.runOne(userId))) n++;
    return n;
  }

  /** The user may have queued work: look at their job table on the next tick. */
  nudge(userId: string): void {
    this.schedule.set(userId, { next: 0, delay: this.pollMs });
  }

  private get pollMs(): number {
    return this.o.pollMs ?? 5000;
  }

  /** One pass over the users that are due; answers how many job tables it looked at. */
  async tick(): Promise<number> {
    if (this.o.switch.paused || !this.o.listUsers) return 0;
    // The server may be away (restarting, killed): skip this tick. Rejecting here would be
    // an unhandled rejection, which ends the whole process.
    const users = await this.o.listUsers().catch(() => [] as string[]);
    // The most overdue first (nudged users and new ones are due at 0), a few per tick: a
    // first sweep over hundreds of users is spread out instead of competing with them.
    const now = Date.now();
    const due = users
      .map((userId) => ({ userId, at: this.schedule.get(userId) ?? { next: 0, delay: this.pollMs } }))
      .filter((u) => u.at.next <= now)
      .sort((a, b) => a.at.next - b.at.next);
    const maxLooks = this.o.maxLooksPerTick ?? 20;
    const maxCold = this.o.hasConnection ? (this.o.maxColdLooksPerTick ?? 4) : maxLooks;
    let looked = 0;
    let cold = 0;
    for (const { userId, at } of due) {
      if (this.o.switch.paused || looked >= maxLooks) break;
      // A user passed over stays due, and is the more overdue at the next tick.
      if (!this.o.hasConnection?.(userId)) {
        if (cold >= maxCold) continue;
        cold++;
      }
      looked++;
      // One user's broken database must not stop the others (it is looked at less often).
      const ran = await this.drain(userId, 10).catch(() => 0);
      const delay = ran > 0 ? this.pollMs : Math.min(at.delay * 2, this.o.maxIdlePollMs ?? 10 * 60_000);
      this.schedule.set(userId, { next: Date.now() + delay, delay });
    }
    return looked;
  }

  /** Polls the users' job tables in the background. */
  start(): void {
    if (this.timer || !this.o.listUsers) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().then(() => undefined).finally(() => (this.running = undefined));
    }, this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
