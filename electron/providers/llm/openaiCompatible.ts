import { EmilyError } from '../../core/errors.js';
import { withoutSecret } from '../../core/redact.js';
import { joinUrl, parseJsonEvent, postJson, readSse, errorFromResponse, type HttpErrorContext } from './http.js';
import { DEFAULT_TIMEOUTS, type ChatRequest, type LanguageModel, type TimeoutPolicy } from './types.js';

interface ChunkEvent {
  choices?: ({ delta?: { content?: unknown; tool_calls?: unknown } | null; finish_reason?: string | null } | null)[] | null;
  error?: { message?: string } | string | null;
}

/** A reply sent whole instead of streamed is read into memory: this much at most (a turn holds 1 MiB of text). */
const MAX_WHOLE_REPLY_BYTES = 8 * 1024 * 1024;

/**
 * Any server speaking OpenAI's chat completions API: Ollama, LM Studio, llama.cpp server,
 * vLLM, OpenAI itself. baseUrl ends in /v1.
 */
export class OpenAICompatibleModel implements LanguageModel {
  readonly id: string;
  private readonly ctx: HttpErrorContext;

  constructor(
    private readonly o: { baseUrl: string; model: string; apiKey?: string; contextTokens?: number; timeouts?: TimeoutPolicy },
  ) {
    this.id = `openai-compatible:${o.model}`;
    this.ctx = { what: `the model server at ${o.baseUrl}`, model: o.model, secret: o.apiKey };
  }

  get contextTokens(): number {
    return this.o.contextTokens ?? 8192;
  }

  private headers(): Record<string, string> {
    return this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {};
  }

  async *stream(req: ChatRequest): AsyncIterable<string> {
    const policy = this.o.timeouts ?? DEFAULT_TIMEOUTS;
    const res = await postJson(
      joinUrl(this.o.baseUrl, 'chat/completions'),
      { model: this.o.model, messages: req.messages, stream: true, temperature: req.temperature, max_tokens: req.maxTokens },
      this.headers(),
      this.ctx,
      policy,
      req.signal,
    );
    const type = (res.headers.get('content-type') ?? '').toLowerCase();
    if (type.includes('text/html')) {
      await res.body?.cancel().catch(() => undefined);
      throw new EmilyError('PROVIDER_ERROR', `${this.ctx.what} answered with a web page, not a reply; check that the address is its API (it usually ends in /v1)`);
    }
    if (type.includes('application/json')) {
      // A server that ignores stream: true answers with one whole completion.
      yield await this.wholeReply(res);
      return;
    }
    let finished = false;
    for await (const ev of readSse(res, this.ctx, policy.idleMs, req.signal)) {
      if (ev.data === '[DONE]') {
        finished = true;
        break;
      }
      const chunk = parseJsonEvent<ChunkEvent | null>(ev.data, this.ctx);
      if (!chunk || typeof chunk !== 'object') throw new EmilyError('PROVIDER_ERROR', `${this.ctx.what} sent an event that is not a chat completion chunk`);
      if (chunk.error) {
        const said = typeof chunk.error === 'string' ? chunk.error : String(chunk.error.message ?? 'unknown');
        throw new EmilyError('PROVIDER_ERROR', `${this.ctx.what} reported an error mid-reply: ${withoutSecret(said, this.o.apiKey).slice(0, 500)}`);
      }
      const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
      const text = choice?.delta?.content;
      if (text !== undefined && text !== null && typeof text !== 'string') throw new EmilyError('PROVIDER_ERROR', `${this.ctx.what} sent reply text that is not a string`);
      if (choice?.delta?.tool_calls && !text) {
        throw new EmilyError('PROVIDER_ERROR', `${this.ctx.what} answered with a tool call, but Emily offers the model no tools; choose a chat model, or turn tool use off on that server`);
      }
      if (text) yield text;
      if (choice?.finish_reason) finished = true;
    }
    if (!finished) throw new EmilyError('PROVIDER_ERROR', `${this.ctx.what} ended the reply stream before it was complete`);
  }

  private async wholeReply(res: Response): Promise<string> {
    const size = Number(res.headers.get('content-length') ?? 0);
    if (size > MAX_WHOLE_REPLY_BYTES) {
      await res.body?.cancel().catch(() => undefined);
      throw new EmilyError('PROVIDER_ERROR', `${this.ctx.what} sent a reply of ${size} bytes in one piece; Emily takes at most ${MAX_WHOLE_REPLY_BYTES} this way`);
    }
    const body = parseJsonEvent<{ choices?: { message?: { content?: unknown } | null }[] | null; error?: unknown } | null>((await res.text()).slice(0, MAX_WHOLE_REPLY_BYTES), this.ctx);
    const text = Array.isArray(body?.choices) ? body.choices[0]?.message?.content : undefined;
    if (typeof text !== 'string' || !text) throw new EmilyError('PROVIDER_ERROR', `${this.ctx.what} answered with JSON that holds no reply text`);
    return text;
  }

  async test(signal?: AbortSignal): Promise<{ ok: true; detail: string }> {
    const policy = this.o.timeouts ?? DEFAULT_TIMEOUTS;
    let res: Response;
    try {
      res = await fetch(joinUrl(this.o.baseUrl, 'models'), { headers: this.headers(), signal: signal ?? AbortSignal.timeout(policy.connectMs) });
    } catch (e) {
      throw new EmilyError('MODEL_UNREACHABLE', `${this.ctx.what} is unreachable; check that it is running and the address`, { cause: e });
    }
    if (!res.ok) throw await errorFromResponse(res, this.ctx);
    const body = (await res.json().catch(() => ({}))) as { data?: { id?: string }[] };
    const ids = (body.data ?? []).map((m) => m.id).filter((x): x is string => typeof x === 'string');
    if (ids.length && !ids.includes(this.o.model)) {
      throw new EmilyError('NOT_FOUND', `${this.ctx.what} does not serve "${this.o.model}"; it serves: ${ids.slice(0, 10).join(', ')}`);
    }
    return { ok: true, detail: `connected; ${ids.length ? `${ids.length} model(s) available` : 'model list not provided'}` };
  }
}
