import fs from 'node:fs';
import pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import { EmilyError } from '../core/errors.js';
import { pgSsl } from '../databases/tls.js';
import type { ToolTarget } from './pgTools.js';
import { COPY_FROM_STDIN } from './scriptCheck.js';
import { SqlScriptScanner, type ScriptEvent } from './sqlScanner.js';
import { classifyStatement } from './sqlPolicy.js';

/**
 * Runs a checked script (what ScriptChecker wrote) in one transaction, connected as the new
 * database's own role, without psql. Each statement goes to the server on its own through
 * the extended protocol, which refuses a text holding more than one statement: whatever our
 * scanner and the server's lexer might read differently, nothing rides along with a
 * statement the check allowed, and no psql meta-command (\!, \o |…) can ever run. COPY data
 * streams through COPY … FROM STDIN; that statement is sent as the check read it, comments
 * removed, and the policy admits only "COPY public.t (columns) FROM stdin", which leaves no
 * quote or dollar sign for two lexers to read differently.
 */
export async function runCheckedScript(script: string, target: ToolTarget, opts: { onBytes?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<void> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl: pgSsl(target.tls),
    application_name: 'emily-import',
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined); // a dropped connection fails the statement in flight
  const onAbort = () => void client.end().catch(() => undefined);
  opts.signal?.addEventListener('abort', onAbort);
  await client.connect();
  try {
    await client.query('BEGIN');
    const run = new EventRunner(client);
    const total = fs.statSync(script).size;
    let done = 0;
    const pending: ScriptEvent[] = [];
    const scanner = new SqlScriptScanner((e) => pending.push(e));
    for await (const chunk of fs.createReadStream(script, { highWaterMark: 1 << 20 })) {
      scanner.push(chunk as Buffer);
      for (const e of pending.splice(0)) await run.event(e);
      done += (chunk as Buffer).length;
      opts.onBytes?.(done, total);
    }
    scanner.end();
    for (const e of pending.splice(0)) await run.event(e);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
}

class EventRunner {
  private copy: { stream: CopyStreamQuery; failed: Promise<never> } | undefined;

  constructor(private readonly client: pg.Client) {}

  async event(e: ScriptEvent): Promise<void> {
    switch (e.kind) {
      case 'meta':
        throw new EmilyError('UNSAFE_DUMP', `line ${e.line}: a psql command in a checked script; nothing was kept`);
      case 'statement':
        // The checker wrote only statements it keeps; judged again here, so that this runner can never run anything else.
        if (classifyStatement(e.code).action !== 'keep') throw new EmilyError('UNSAFE_DUMP', `line ${e.line}: a statement the check does not allow; nothing was kept`);
        if (COPY_FROM_STDIN.test(e.code)) return this.startCopy(e.code, e.line);
        await this.client.query(oneStatement(e.text)).catch((err: unknown) => {
          throw restoreFailure(err, e.line);
        });
        return;
      case 'copyData': {
        const copy = this.copying(e.kind);
        if (!copy.stream.write(e.data)) await Promise.race([new Promise((r) => copy.stream.once('drain', r)), copy.failed]);
        return;
      }
      case 'copyEnd': {
        const copy = this.copying(e.kind);
        this.copy = undefined;
        copy.stream.end();
        await Promise.race([new Promise((r) => copy.stream.once('finish', r)), copy.failed]);
        return;
      }
    }
  }

  private startCopy(code: string, line: number): void {
    const stream = this.client.query(copyFrom(code));
    const failed = new Promise<never>((_, reject) => stream.once('error', (err) => reject(restoreFailure(err, line))));
    failed.catch(() => undefined); // awaited through the races above
    this.copy = { stream, failed };
  }

  private copying(kind: string): NonNullable<EventRunner['copy']> {
    if (!this.copy) throw new EmilyError('INVALID_DUMP', `table data (${kind}) outside a COPY in a checked script; nothing was kept`);
    return this.copy;
  }
}

/**
 * A query the server runs only if it is exactly one statement: queryMode 'extended' sends
 * Parse/Bind/Execute even without parameters (pg 8.23 has it; @types/pg does not know it yet).
 */
export function oneStatement(text: string): pg.QueryConfig {
  return { text, queryMode: 'extended' } as pg.QueryConfig;
}

function restoreFailure(err: unknown, line: number): EmilyError {
  const e = err as { message?: string; code?: string };
  const message = (e.message ?? String(err)).split('\n')[0]!.slice(0, 300);
  if (e.code === '42501') return new EmilyError('UNSAFE_DUMP', `the dump tried something its profile may not do (line ${line}: ${message}); it was refused and nothing was kept`, { cause: err });
  return new EmilyError('INVALID_DUMP', `the dump could not be restored (line ${line}: ${message}); nothing was kept`, { cause: err });
}
