import type { UserDoor } from './context.js';

export interface WorkingTurn {
  id: number;
  conversationId: number;
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface WorkingItem {
  memoryId: number;
  content: string;
  activation: number;
}

export interface WorkingMemoryOptions {
  /** Turns kept (default 12). */
  turns?: number;
  /** Activation half-life in turns (default 3). */
  halfLifeTurns?: number;
  /** Below this an item is forgotten (default 0.05). */
  floor?: number;
}

/**
 * L1: a user's working set in the main process. The last N turns plus the memories
 * retrieved lately, each with an activation in [0,1] that decays every turn and is
 * refreshed when the memory comes up again. Volatile by design: rebuilt from L4.
 */
export class WorkingMemory {
  private readonly turnsKept: number;
  private readonly decay: number;
  private readonly floor: number;
  private turns: WorkingTurn[] = [];
  private items = new Map<number, WorkingItem>();

  constructor(opts: WorkingMemoryOptions = {}) {
    this.turnsKept = opts.turns ?? 12;
    this.decay = 0.5 ** (1 / (opts.halfLifeTurns ?? 3));
    this.floor = opts.floor ?? 0.05;
  }

  /** A new turn: everything decays one step, the turn joins the window. */
  observeTurn(turn: WorkingTurn): void {
    this.turns.push(turn);
    if (this.turns.length > this.turnsKept) this.turns.splice(0, this.turns.length - this.turnsKept);
    for (const [id, item] of this.items) {
      item.activation *= this.decay;
      if (item.activation < this.floor) this.items.delete(id);
    }
  }

  /** Memories retrieved (again): activation refreshed to at least `strength`. */
  activate(memories: { memoryId: number; content: string }[], strength = 1): void {
    for (const m of memories) {
      const prev = this.items.get(m.memoryId);
      const activation = Math.min(1, Math.max(strength, (prev?.activation ?? 0) + strength * 0.5));
      this.items.set(m.memoryId, { memoryId: m.memoryId, content: m.content, activation });
    }
  }

  activation(memoryId: number): number {
    return this.items.get(memoryId)?.activation ?? 0;
  }

  forget(memoryId: number): void {
    this.items.delete(memoryId);
  }

  /** "L1 synthesis": the working set for the next reply, most active first. */
  snapshot(): { turns: WorkingTurn[]; memories: WorkingItem[] } {
    return { turns: [...this.turns], memories: [...this.items.values()].sort((a, b) => b.activation - a.activation).map((x) => ({ ...x })) };
  }

  /**
   * After a restart: the last turns of the latest conversation from L4, and the memories
   * their replies used, replayed so that older ones have decayed as they would have.
   */
  static async rebuild(door: UserDoor, userId: string, opts: WorkingMemoryOptions = {}): Promise<WorkingMemory> {
    const wm = new WorkingMemory(opts);
    const n = opts.turns ?? 12;
    const rows = await door.withUser(userId, async (c) => {
      const turns = await c.query<{ id: string; conversation_id: string; role: WorkingTurn['role']; content: string }>(
        `SELECT id, conversation_id, role, left(content, 4000) AS content FROM turns
          WHERE conversation_id = (SELECT conversation_id FROM turns ORDER BY id DESC LIMIT 1)
          ORDER BY id DESC LIMIT $1`,
        [n],
      );
      const ids = turns.rows.map((t) => t.id);
      const uses = await c.query<{ turn_id: string; memory_id: string; content: string }>(
        'SELECT u.turn_id, u.memory_id, m.content FROM memory_uses u JOIN memories m ON m.id = u.memory_id WHERE u.turn_id = ANY($1::bigint[]) AND NOT m.archived',
        [ids],
      );
      return { turns: turns.rows.reverse(), uses: uses.rows };
    });
    for (const t of rows.turns) {
      wm.observeTurn({ id: Number(t.id), conversationId: Number(t.conversation_id), role: t.role, content: t.content });
      wm.activate(rows.uses.filter((u) => u.turn_id === t.id).map((u) => ({ memoryId: Number(u.memory_id), content: u.content })));
    }
    return wm;
  }
}

/** One working memory per user, in this process. */
export class WorkingMemories {
  private readonly byUser = new Map<string, WorkingMemory>();
  constructor(private readonly opts: WorkingMemoryOptions = {}) {}

  async get(door: UserDoor, userId: string): Promise<WorkingMemory> {
    let wm = this.byUser.get(userId);
    if (!wm) {
      wm = await WorkingMemory.rebuild(door, userId, this.opts);
      this.byUser.set(userId, wm);
    }
    return wm;
  }

  drop(userId: string): void {
    this.byUser.delete(userId);
  }
}
