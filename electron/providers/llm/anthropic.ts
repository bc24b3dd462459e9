import { EmilyError } from '../../core/errors.js';
import { errorFromResponse, joinUrl, parseJsonEvent, postJson, readSse, type HttpErrorContext } from './http.js';
import { DEFAULT_TIMEOUTS, type ChatMessage, type ChatRequest, type LanguageModel, type TimeoutPolicy } from './types.js';

const API_VERSION = '2023-06-01';

interface AnthropicEvent {
  type: string;
  delta?: { type?: string; text?: string; stop_reason?: string };
  error?: { type?: string; message?: string };
}

/** Anthropic's Messages API with streaming (server-sent events). */
export class AnthropicModel implements LanguageModel {
  readonly id: string;
  private readonly ctx: HttpErrorContext;
  private readonly baseUrl: string;

  constructor(private readonly o: { apiKey: string; model: string; baseUrl?: string; contextTokens?: number; timeouts?: TimeoutPolicy }) {
    if (!o.apiKey) throw new EmilyError('UNAUTHORIZED', 'Anthropic needs an API key; add it in Settings');
    this.id = `anthropic:${o.model}`;
    this.baseUrl = o.baseUrl ?? 'https://api.anthropic.com';
    this.ctx = { what: `Anthropic (${this.baseUrl})`, model: o.model, secret: o.apiKey };
  }

  get contextTokens(): number {
    return this.o.contextTokens ?? 200_000;
  }

  private headers(): Record<string, string> {
    return { 'x-api-key': this.o.apiKey, 'anthropic-version': API_VERSION };
  }

  async *stream(req: ChatRequest): AsyncIterable<string> {
    const policy = this.o.timeouts ?? DEFAULT_TIMEOUTS;
    const { system, messages } = toAnthropicMessages(req.messages);
    const res = await postJson(
      joinUrl(this.baseUrl, 'v1/messages'),
      { model: this.o.model, max_tokens: req.maxTokens ?? 1024, system: system || undefined, messages, stream: true, temperature: req.temperature },
      this.headers(),
      this.ctx,
      policy,
      req.signal,
    );
    let stopped = false;
    for await (const ev of readSse(res, this.ctx, policy.idleMs, req.signal)) {
      const data = parseJsonEvent<AnthropicEvent>(ev.data, this.ctx);
      if (data.type === 'error') throw new EmilyError(data.error?.type === 'overloaded_error' ? 'BUSY' : 'PROVIDER_ERROR', `Anthropic reported an error mid-reply: ${data.error?.message ?? data.error?.type ?? 'unknown'}`);
      if (data.type === 'content_block_delta' && data.delta?.type === 'text_delta' && data.delta.text) yield data.delta.text;
      if (data.type === 'message_stop') {
        stopped = true;
        break;
      }
    }
    if (!stopped) throw new EmilyError('PROVIDER_ERROR', `${this.ctx.what} ended the reply stream before it was complete`);
  }

  async test(signal?: AbortSignal): Promise<{ ok: true; detail: string }> {
    let res: Response;
    try {
      res = await fetch(joinUrl(this.baseUrl, `v1/models/${encodeURIComponent(this.o.model)}`), { headers: this.headers(), signal: signal ?? AbortSignal.timeout(DEFAULT_TIMEOUTS.connectMs) });
    } catch (e) {
      throw new EmilyError('MODEL_UNREACHABLE', `${this.ctx.what} is unreachable; check the network`, { cause: e });
    }
    if (!res.ok) throw await errorFromResponse(res, this.ctx);
    return { ok: true, detail: `connected; model ${this.o.model} available` };
  }
}

/** Anthropic wants the system prompt apart and strictly alternating turns starting with the user. */
export function toAnthropicMessages(list: ChatMessage[]): { system: string; messages: { role: 'user' | 'assistant'; content: string }[] } {
  const system = list.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const messages: { role: 'user' | 'assistant'; content: string }[] = [];
  for (const m of list) {
    if (m.role === 'system') continue;
    const last = messages[messages.length - 1];
    if (last && last.role === m.role) last.content += `\n\n${m.content}`;
    else messages.push({ role: m.role, content: m.content });
  }
  if (messages[0]?.role === 'assistant') messages.unshift({ role: 'user', content: '(continuing our conversation)' });
  return { system, messages };
}
