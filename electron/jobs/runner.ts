import { randomBytes } from 'node:crypto';
import { toEmilyError } from '../core/errors.js';
import type { UserDoor } from '../cognition/context.js';
import type { BackgroundSwitch } from './backgroundSwitch.js';
import pLimit from 'p-limit';
import { claimJob, failJob, finishJob, getJob, reapExpired, releaseJob, renewLease, reportProgress, type Job } from './queue.js';

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
  /**
   * Users whose jobs run at the same time (default 2): one user's long job (re-embedding a
   * large import, say) must not hold up every other user's consolidation behind it.
   */
  concurrency?: number;
}

/**
 * Runs background jobs of every user database, one at a time per user and a few users at a
 * time, under the global pause switch. Several runners (processes) can share the tables:
 * claims skip locked rows, and a running job's lease is renewed on a timer, so a step that
 * takes longer than the lease is not taken for a dead worker's and run a second time.
 */
export class JobRunner {
  readonly workerId: string;
  private readonly leaseMs: number;
  private timer?: NodeJS.Timeout;
  /** Ticks started by the timer and not finished (a tick waits for the looks it started). */
  private readonly ticks = new Set<Promise<void>>();
  /** A tick is choosing users: the timer does not start another meanwhile. */
  private choosing = false;
  /** Users whose job table is being looked at (or waits for a slot): not chosen again. */
  private readonly inFlight = new Set<string>();
  private readonly slots: ReturnType<typeof pLimit>;
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
    this.slots = pLimit(Math.max(1, o.concurrency ?? 2));
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
    let lost = false;
    const ctx: JobContext = {
      door,
      userId,
      job,
      progress: async (fraction, detail = {}) => {
        if (this.o.switch.paused) throw new Stopped('paused');
        if (lost) throw new Stopped('lease-lost');
        const held = await door.withUser(userId, (c) => reportProgress(c, job.id, this.workerId, fraction, detail, this.leaseMs));
        if (!held) throw new Stopped('lease-lost');
      },
    };
    // Handlers report progress between steps, and a step may outlast the lease.
    const heartbeat = setInterval(() => {
      door
        .withUser(userId, (c) => renewLease(c, job.id, this.workerId, this.leaseMs))
        .then((held) => (lost ||= !held))
        .catch(() => undefined); // the server away: the next beat, or the lease runs out
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    heartbeat.unref();
    try {
      if (!handler) throw new Error(`no handler for jobs of kind "${job.kind}" in this version of Emily`);
      const detail = await handler(ctx);
      clearInterval(heartbeat);
      await door.withUser(userId, (c) => finishJob(c, job.id, this.workerId, detail));
    } catch (e) {
      clearInterval(heartbeat);
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
    const looks: Promise<void>[] = [];
    this.choosing = true;
    try {
      // The server may be away (restarting, killed): skip this tick. Rejecting here would be
      // an unhandled rejection, which ends the whole process.
      const users = await this.o.listUsers().catch(() => [] as string[]);
      // The most overdue first (nudged users and new ones are due at 0), a few per tick: a
      // first sweep over hundreds of users is spread out instead of competing with them.
      const now = Date.now();
      const due = users
        .filter((userId) => !this.inFlight.has(userId))
        .map((userId) => ({ userId, at: this.schedule.get(userId) ?? { next: 0, delay: this.pollMs } }))
        .filter((u) => u.at.next <= now)
        .sort((a, b) => a.at.next - b.at.next);
      const maxLooks = this.o.maxLooksPerTick ?? 20;
      const maxCold = this.o.hasConnection ? (this.o.maxColdLooksPerTick ?? 4) : maxLooks;
      let cold = 0;
      for (const { userId, at } of due) {
        if (looks.length >= maxLooks) break;
        // A user passed over stays due, and is the more overdue at the next tick.
        if (!this.o.hasConnection?.(userId)) {
          if (cold >= maxCold) continue;
          cold++;
        }
        this.inFlight.add(userId);
        looks.push(this.slots(() => this.look(userId, at.delay)).finally(() => this.inFlight.delete(userId)));
      }
    } finally {
      this.choosing = false;
    }
    await Promise.all(looks);
    return looks.length;
  }

  private async look(userId: string, delay: number): Promise<void> {
    if (this.o.switch.paused) return;
    // One user's broken database must not stop the others (it is looked at less often).
    const ran = await this.drain(userId, 10).catch(() => 0);
    const next = ran > 0 ? this.pollMs : Math.min(delay * 2, this.o.maxIdlePollMs ?? 10 * 60_000);
    this.schedule.set(userId, { next: Date.now() + next, delay: next });
  }

  /**
   * Polls the users' job tables in the background. A tick that waits for a long job does not
   * hold up the next one: users not in flight are looked at in the free slots.
   */
  start(): void {
    if (this.timer || !this.o.listUsers) return;
    this.timer = setInterval(() => {
      if (this.choosing) return;
      const t: Promise<void> = this.tick().then(
        () => undefined,
        () => undefined,
      );
      this.ticks.add(t);
      void t.finally(() => this.ticks.delete(t));
    }, this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.ticks]);
  }
}
