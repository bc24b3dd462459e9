import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { EmilyError } from '../../core/errors.js';
import { withoutSecret } from '../../core/redact.js';
import type { TimeoutPolicy } from './types.js';

export interface HttpErrorContext {
  what: string; // "the model server at http://…"
  model: string;
  /** The API key sent, taken out of anything the server says back. */
  secret?: string;
}

/** Turns an HTTP error response into an EmilyError that says what to do. */
export async function errorFromResponse(res: Response, ctx: HttpErrorContext): Promise<EmilyError> {
  let body = '';
  try {
    body = withoutSecret((await res.text()).slice(0, 4000), ctx.secret).slice(0, 2000);
  } catch {
    /* the body is only for the message */
  }
  const detail = extractMessage(body);
  const lower = `${detail} ${body}`.toLowerCase();
  if (res.status === 401 || res.status === 403) return new EmilyError('UNAUTHORIZED', `${ctx.what} refused the API key (${res.status}${detail ? `: ${detail}` : ''}); check the key in Settings`);
  if (res.status === 404 || /model.*not.*found|no such model|does not exist/.test(lower)) return new EmilyError('NOT_FOUND', `${ctx.what} does not know the model "${ctx.model}"${detail ? ` (${detail})` : ''}; pick a model it serves`);
  if (/context.length|context_length|maximum context|too many tokens|prompt is too long/.test(lower)) return new EmilyError('BAD_INPUT', `the conversation is too long for "${ctx.model}"${detail ? ` (${detail})` : ''}; start a new conversation or choose a model with a larger context`);
  const wait = retryAfterSeconds(res.headers.get('retry-after'));
  const waitText = wait !== undefined && wait > MAX_RETRY_WAIT_S ? `; it asks to wait ${wait} s before trying again` : '';
  const err =
    res.status === 429
      ? new EmilyError('BUSY', `${ctx.what} is rate-limiting requests (429)${waitText || '; wait a moment and try again'}`)
      : new EmilyError('PROVIDER_ERROR', `${ctx.what} answered ${res.status}${detail ? `: ${detail}` : ''}${waitText}`);
  if (wait !== undefined) retryAfter.set(err, wait);
  return err;
}

/** Retry-After (seconds or an HTTP date) as seconds from now. */
function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = /^\d+$/.test(header.trim()) ? Number(header.trim()) : (Date.parse(header) - Date.now()) / 1000;
  return Number.isFinite(s) ? Math.max(0, Math.ceil(s)) : undefined;
}

/** A server asking for a longer pause than this is not retried: the caller hears how long. */
const MAX_RETRY_WAIT_S = 10;
const retryAfter = new WeakMap<EmilyError, number>();
/** Connect timeouts are not retried: a server that sent no headers in connectMs will not in the next try. */
const timedOut = new WeakSet<EmilyError>();

function extractMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    if (typeof j.error === 'string') return j.error;
    return j.error?.message ?? j.message ?? '';
  } catch {
    return body.trim().slice(0, 200);
  }
}

export function isRetryable(e: unknown): boolean {
  if (!(e instanceof EmilyError) || timedOut.has(e) || (retryAfter.get(e) ?? 0) > MAX_RETRY_WAIT_S) return false;
  return e.code === 'MODEL_UNREACHABLE' || e.code === 'BUSY' || (e.code === 'PROVIDER_ERROR' && /answered 5\d\d/.test(e.message));
}

/**
 * POSTs JSON with a connect timeout and the caller's abort signal; retries what is
 * retryable (before anything was streamed, so nothing is said twice).
 */
export async function postJson(url: string, body: unknown, headers: Record<string, string>, ctx: HttpErrorContext, policy: TimeoutPolicy, signal?: AbortSignal): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await postOnce(url, body, headers, ctx, policy, signal);
    } catch (e) {
      if (attempt >= policy.retries || !isRetryable(e) || signal?.aborted) throw e;
      await new Promise((r) => setTimeout(r, Math.max(250 * 2 ** attempt, (retryAfter.get(e as EmilyError) ?? 0) * 1000)));
    }
  }
}

async function postOnce(url: string, body: unknown, headers: Record<string, string>, ctx: HttpErrorContext, policy: TimeoutPolicy, signal?: AbortSignal): Promise<Response> {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new Error('connect timeout')), policy.connectMs);
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: controller.signal });
    if (!res.ok) throw await errorFromResponse(res, ctx);
    return res;
  } catch (e) {
    if (e instanceof EmilyError) throw e;
    if (signal?.aborted) throw new EmilyError('CANCELLED', 'cancelled');
    if (controller.signal.aborted) {
      const err = new EmilyError('MODEL_UNREACHABLE', `${ctx.what} did not answer within ${policy.connectMs / 1000} s; check that it is running`, { cause: e });
      timedOut.add(err);
      throw err;
    }
    throw new EmilyError('MODEL_UNREACHABLE', `${ctx.what} is unreachable (${(e as Error).cause ? String(((e as Error).cause as Error).message ?? '') : (e as Error).message}); check that it is running and the address in Settings`, { cause: e });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Reads a server-sent-events body, yielding each event; fails with PROVIDER_ERROR when
 * the stream goes silent for longer than idleMs or drops before its end.
 */
export async function* readSse(res: Response, ctx: HttpErrorContext, idleMs: number, signal?: AbortSignal): AsyncGenerator<EventSourceMessage> {
  if (!res.body) throw new EmilyError('PROVIDER_ERROR', `${ctx.what} sent an empty response`);
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (ev) => queue.push(ev) });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      if (signal?.aborted) throw new EmilyError('CANCELLED', 'cancelled');
      const chunk = await readWithTimeout(reader, idleMs, ctx, signal);
      if (chunk.done) {
        parser.feed(decoder.decode());
        yield* queue.splice(0);
        return;
      }
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      yield* queue.splice(0);
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

async function readWithTimeout(reader: ReadableStreamDefaultReader<Uint8Array>, idleMs: number, ctx: HttpErrorContext, signal?: AbortSignal): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EmilyError('PROVIDER_ERROR', `${ctx.what} stopped sending for ${idleMs / 1000} s in the middle of a reply`)), idleMs);
    onAbort = () => reject(new EmilyError('CANCELLED', 'cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([reader.read(), stop]);
  } catch (e) {
    if (e instanceof EmilyError) throw e;
    throw new EmilyError('PROVIDER_ERROR', `${ctx.what} dropped the connection in the middle of a reply`, { cause: e });
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

export function parseJsonEvent<T>(data: string, ctx: HttpErrorContext): T {
  try {
    return JSON.parse(data) as T;
  } catch (e) {
    throw new EmilyError('PROVIDER_ERROR', `${ctx.what} sent malformed JSON in its stream`, { cause: e });
  }
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
