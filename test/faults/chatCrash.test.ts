import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatEngine } from '../../electron/chat/chatEngine.js';
import { readPostmaster } from '../../electron/cluster/postmaster.js';
import { Emily } from '../../electron/core/emily.js';
import { InstantModel } from '../../electron/providers/llm/instant.js';
import { CONSISTENT, halfWritten } from './support/consistency.js';
import { disposeHome, killPostmaster, newHome, startWorker, type Worker } from './support/processes.js';
import { startSlowModelServer } from './support/slowModelServer.js';
import { turnText } from './support/turnText.js';

interface Ack {
  turn: number;
  conv: number;
  user: number;
  reply: number;
}

function acks(w: Worker): Ack[] {
  return w.lines.flatMap((l) => {
    const m = /^ACK (\d+) conv=(\d+) user=(\d+) reply=(\d+) cut=false$/.exec(l);
    return m ? [{ turn: Number(m[1]), conv: Number(m[2]), user: Number(m[3]), reply: Number(m[4]) }] : [];
  });
}

const homes: string[] = [];
afterAll(async () => {
  for (const h of homes) await disposeHome(h);
});

describe('SIGKILL in the middle of chat turns', () => {
  it('keeps every acknowledged turn, shows nothing half-written, and recovers the orphaned or dead server', async () => {
    const home = newHome('chatcrash');
    homes.push(home);
    const pgdata = path.join(home, 'pgdata');
    const model = await startSlowModelServer();
    const sent = new Map<number, string>(); // turn -> which reply the model server gave
    try {
      // 1. The worker starts the server itself, then dies while turn 3's reply is streaming.
      const stalled = model.stallOn(3);
      const a = startWorker(['chat', home], { FAULT_MODEL_URL: model.url });
      const readyA = await a.waitFor(/^READY port=(\d+) owns=(\w+)/);
      expect(readyA[2]).toBe('true');
      const userId = (await a.waitFor(/^USER (\w+)$/))[1]!;
      await stalled;
      await a.kill();
      const acked = acks(a);
      expect(acked.map((x) => x.turn)).toEqual([1, 2]);
      for (const x of acked) sent.set(x.turn, model.reply(x.turn));
      const orphan = readPostmaster(pgdata);
      expect(orphan?.alive).toBe(true); // the server outlives the process that started it

      // 2. A new worker attaches to the orphan; it dies inside turn 5's learning transaction
      //    (every write done, COMMIT not sent), and the server dies with it.
      const b = startWorker(['chat', home], { FAULT_MODEL_URL: model.url, FAULT_USER: userId, FAULT_CONVERSATION: String(acked[0]!.conv), FAULT_FIRST: '4', FAULT_PAUSE_LEARN_AT: '5' });
      const readyB = await b.waitFor(/^READY port=(\d+) owns=(\w+) /);
      expect(readyB[1]).toBe(readyA[1]);
      expect(readyB[2]).toBe('false');
      await b.waitFor(/^PAUSED learn 5$/);
      await b.kill();
      await killPostmaster(pgdata);
      acked.push(...acks(b));
      for (const x of acks(b)) sent.set(x.turn, model.reply(x.turn));
      expect(acked.map((x) => x.turn)).toEqual([1, 2, 4]);
      expect(fs.existsSync(path.join(pgdata, 'postmaster.pid'))).toBe(true);
      expect(readPostmaster(pgdata)?.isPostgres).toBe(false); // a stale pid file, as after a power cut (its pid gone or a zombie)

      // 3. The next worker finds the stale pid file, starts the server afresh (crash recovery),
      //    and is killed at a random instant a few turns in.
      const c = startWorker(['chat', home], { FAULT_USER: userId, FAULT_CONVERSATION: String(acked[0]!.conv), FAULT_FIRST: '6' });
      const readyC = await c.waitFor(/^READY port=(\d+) owns=(\w+) /);
      expect(readyC[2]).toBe('true');
      await c.waitFor(/^ACK 7 /);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      await c.kill();
      const ackedC = acks(c);
      acked.push(...ackedC);
      const inFlight = c.lines.filter((l) => l.startsWith('SEND ')).map((l) => Number(l.slice(5))).filter((n) => !ackedC.some((x) => x.turn === n));
      expect(inFlight.length).toBeLessThanOrEqual(1);

      // 4. A core opened on the same home attaches to what is left and finds everything acknowledged.
      const emily = await Emily.open({ home, spareDatabases: 0 });
      try {
        expect(emily.cluster.admin().port).toBe(Number(readyC[1]));
        expect(await halfWritten(emily, userId)).toEqual(CONSISTENT);
        const turns = await emily.withUser(userId, async (cl) => (await cl.query<{ id: string; role: string; content: string; conversation_id: string }>('SELECT id, role, content, conversation_id FROM turns ORDER BY id')).rows);
        const byId = new Map(turns.map((t) => [Number(t.id), t]));
        for (const x of acked) {
          expect(byId.get(x.user)).toMatchObject({ role: 'user', content: turnText(x.turn), conversation_id: String(x.conv) });
          const reply = byId.get(x.reply);
          expect(reply).toMatchObject({ role: 'assistant', conversation_id: String(x.conv) });
          if (sent.has(x.turn)) expect(reply!.content).toBe(sent.get(x.turn));
        }
        // The user's words of the two turns killed mid-reply were kept (stored before the model
        // was asked); their replies were not.
        for (const n of [3, 5]) {
          const i = turns.findIndex((t) => t.role === 'user' && t.content === turnText(n));
          expect(i).toBeGreaterThanOrEqual(0);
          expect(turns[i + 1]?.role).not.toBe('assistant');
        }
        // Replies exist only for acknowledged turns, and at most for the one turn in flight at the random kill.
        const replies = turns.filter((t) => t.role === 'assistant').length;
        expect(replies).toBeGreaterThanOrEqual(acked.length);
        expect(replies).toBeLessThanOrEqual(acked.length + inFlight.length);
        // Every acknowledged turn was learned from: its user turn is the provenance of a memory.
        const sources = await emily.withUser(userId, async (cl) => new Set((await cl.query<{ turn_id: string }>('SELECT turn_id FROM memory_sources')).rows.map((r) => Number(r.turn_id))));
        for (const x of acked) expect(sources.has(x.user)).toBe(true);

        // The profile keeps working: a new turn is stored, learned from and recalls what was said before the crashes.
        const engine = new ChatEngine(emily);
        const out = await engine.send(userId, new InstantModel(), { text: 'What is crash-proof thing number 2?', conversationId: acked[0]!.conv });
        expect(out.assistantTurnId).toBeGreaterThan(0);
        expect(out.memories.some((m) => m.content.includes('thing number 2'))).toBe(true);
        expect(await halfWritten(emily, userId)).toEqual(CONSISTENT);
      } finally {
        await emily.close({ stopServer: true });
      }
    } finally {
      await model.close();
    }
  }, 180_000);
});
