// A child process with its own Emily core, for crash tests: it does real work (chat turns,
// an import, a backup), prints one line per step it has completed, and can be told to stop
// dead at a chosen point so that the test's SIGKILL lands exactly there.
//
//   chat   <home>            env: FAULT_USER (else creates one), FAULT_CONVERSATION, FAULT_MODEL_URL
//                            (an OpenAI-compatible fake; else the instant model), FAULT_FIRST,
//                            FAULT_PAUSE_LEARN_AT (turn number whose learning transaction stops
//                            just before COMMIT, with every write done)
//   import <home> <file>     env: FAULT_PAUSE_PHASE (restore | verify | index)
//   backup <home> <userId>   env: FAULT_PAUSE_AT (dumping | written)
//   signup <home> <username> stops dead just before the account row is sent to the catalog
//   replace <home> <userId> <file>
//                            env: FAULT_PAUSE_AT (renaming: inside the swap's transaction, before
//                            its first rename; swapped: after it committed, before the clean-up)
//   chat-import <home> <userId> <file>
//                            env: FAULT_PAUSE_CONVERSATION (the n-th conversation's transaction
//                            stops after all its writes, just before COMMIT)
import fs from 'node:fs';
import pg, { type PoolClient } from 'pg';
import { ChatEngine } from '../../../electron/chat/chatEngine.js';
import type { UserDoor } from '../../../electron/cognition/index.js';
import { Emily } from '../../../electron/core/emily.js';
import { createUser } from '../../../electron/operations/users.js';
import { createBackup } from '../../../electron/portability/backups.js';
import { importChatHistory } from '../../../electron/portability/chat/importChat.js';
import { importDump } from '../../../electron/portability/importDump.js';
import type { Progress } from '../../../electron/portability/progress.js';
import { InstantModel } from '../../../electron/providers/llm/instant.js';
import { OpenAICompatibleModel } from '../../../electron/providers/llm/openaiCompatible.js';
import { Accounts } from '../../../electron/server/accounts.js';
import { turnText } from './turnText.js';

const [mode, home, arg] = process.argv.slice(2);
if (!mode || !home) throw new Error('usage: faultWorker.ts chat|import|backup <home> [arg]');

/** Lines go straight to the pipe (synchronous on Linux), so a line seen is a step done. */
function say(line: string): void {
  fs.writeSync(1, `${line}\n`);
}

/** Stops this process where it stands (the event loop included) until it is killed. */
function freeze(what: string): never {
  say(`PAUSED ${what}`);
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

const emily = await Emily.open({ home });
say(`READY port=${emily.cluster.admin().port} owns=${emily.cluster.ownsServer} pid=${process.pid}`);

if (mode === 'chat') {
  const userId = process.env.FAULT_USER || (await createUser(emily, 'crash test')).id;
  say(`USER ${userId}`);
  const pauseAt = Number(process.env.FAULT_PAUSE_LEARN_AT ?? 0);
  let turn = Number(process.env.FAULT_FIRST ?? 1);
  // The learning transaction is the one that writes Emily's reply: stop it after all its
  // writes, just before its COMMIT goes to the server (however the engine opened it).
  const beforeCommit = async (c: PoolClient) => {
    if (turn !== pauseAt) return;
    const mine = await c.query("SELECT 1 FROM turns WHERE role = 'assistant' AND xmin = pg_current_xact_id()::xid");
    if (mine.rowCount) freeze(`learn ${turn}`);
  };
  const hooked = (c: PoolClient): PoolClient =>
    new Proxy(c, {
      get(target, prop) {
        if (prop === 'query') {
          return async (...args: unknown[]) => {
            if (args[0] === 'COMMIT') await beforeCommit(target);
            return (target.query as (...a: unknown[]) => unknown)(...args);
          };
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const door: UserDoor = {
    withUser: (id, fn) => emily.withUser(id, (c) => fn(hooked(c))),
    withUserTransaction: (id, fn) =>
      emily.withUserTransaction(id, async (c) => {
        const result = await fn(hooked(c));
        await beforeCommit(c);
        return result;
      }),
  };
  const model = process.env.FAULT_MODEL_URL ? new OpenAICompatibleModel({ baseUrl: process.env.FAULT_MODEL_URL, model: 'test-model' }) : new InstantModel();
  const engine = new ChatEngine(door);
  let conversationId = process.env.FAULT_CONVERSATION ? Number(process.env.FAULT_CONVERSATION) : undefined;
  for (;; turn++) {
    const text = turnText(turn);
    say(`SEND ${turn}`);
    const out = await engine.send(userId, model, { text, conversationId });
    conversationId = out.conversationId;
    say(`ACK ${turn} conv=${out.conversationId} user=${out.userTurnId} reply=${out.assistantTurnId ?? 0} cut=${out.cut}`);
  }
} else if (mode === 'import') {
  if (!arg) throw new Error('import needs a file');
  const phase = process.env.FAULT_PAUSE_PHASE;
  const r = await importDump(emily, arg, {
    name: 'imported after a crash',
    onProgress: (p: Progress) => {
      // restore: once pg_restore has begun writing into the new database.
      if (p.phase === phase && (phase !== 'restore' || p.done >= 1)) freeze(`import ${phase}`);
    },
  });
  say(`DONE ${r.user.id}`);
  await emily.close();
} else if (mode === 'backup') {
  if (!arg) throw new Error('backup needs a user id');
  const at = process.env.FAULT_PAUSE_AT;
  const b = await createBackup(emily, arg, {
    onProgress: (p: Progress) => {
      if (at === 'dumping' && p.done >= 1 && p.done < p.total) freeze('backup dumping');
      if (at === 'written' && p.message.startsWith('wrote ')) freeze('backup written');
    },
  });
  say(`DONE ${b.id}`);
  await emily.close();
} else if (mode === 'chat-import') {
  const file = process.argv[5];
  if (!arg || !file) throw new Error('chat-import needs a user id and a file');
  const pauseAt = Number(process.env.FAULT_PAUSE_CONVERSATION ?? 0);
  let n = 0;
  // Each conversation is one transaction: the n-th stops with its turns written, uncommitted.
  const door = new Proxy(emily, {
    get(target, prop) {
      if (prop === 'withUserTransaction') {
        return (id: string, fn: (c: PoolClient) => Promise<unknown>) =>
          target.withUserTransaction(id, async (c) => {
            const r = await fn(c);
            if (++n === pauseAt) freeze(`chat-import ${n}`);
            return r;
          });
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const r = await importChatHistory(door, arg, file, { onProgress: (p: Progress) => say(`PROGRESS ${p.phase} ${p.done}/${p.total}`) });
  say(`DONE ${r.conversations} ${r.turnsInserted}`);
  await emily.close();
} else if (mode === 'signup') {
  if (!arg) throw new Error('signup needs a username');
  // Wherever the account row is written, the process stops just before it reaches the server.
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text?.startsWith('INSERT INTO accounts')) freeze('signup');
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  const a = await new Accounts(emily).create(arg, 'a long enough password');
  say(`DONE ${a.userId}`);
  await emily.close();
} else if (mode === 'replace') {
  const file = process.argv[5];
  if (!arg || !file) throw new Error('replace needs a user id and a file');
  const at = process.env.FAULT_PAUSE_AT;
  const stopAt = at === 'renaming' ? /^ALTER DATABASE .* RENAME TO / : at === 'swapped' ? /^REASSIGN OWNED / : undefined;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (stopAt && text && stopAt.test(text)) freeze(`replace ${at}`);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  const live = await emily.catalog.get(arg);
  const r = await importDump(emily, file, { name: live.displayName, replace: live });
  say(`DONE ${r.user.id}`);
  await emily.close();
} else throw new Error(`unknown mode ${mode}`);
