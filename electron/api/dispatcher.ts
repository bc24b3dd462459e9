import { EmilyError, toWireError } from '../core/errors.js';
import { apiContract, isMethodName, type MethodName } from './contract/index.js';
import type { CallContext, ContractShape, HandlerMap } from './contract/define.js';
import type { ApiResult } from './contract/result.js';

type AnyHandler = (input: unknown, ctx: CallContext) => Promise<unknown>;

/**
 * Routes a call by method name to the domain that registered it, after validating the
 * request against the contract. Transports hand it untrusted (method, input) pairs.
 */
export class ApiDispatcher {
  private readonly handlers = new Map<MethodName, AnyHandler>();
  private readonly unavailable = new Map<string, string>();

  register<C extends ContractShape>(contract: C, handlers: HandlerMap<C>): this {
    for (const name of Object.keys(contract)) {
      if (!isMethodName(name)) throw new Error(`register: ${name} is not in the API contract`);
      if (this.handlers.has(name)) throw new Error(`register: ${name} is registered twice`);
      this.handlers.set(name, (handlers as Record<string, AnyHandler>)[name]!);
    }
    return this;
  }

  /** Methods of a domain this build does not serve answer with this message. */
  markUnavailable(prefix: string, message: string): this {
    this.unavailable.set(prefix, message);
    return this;
  }

  has(name: MethodName): boolean {
    return this.handlers.has(name);
  }

  async call(name: string, rawInput: unknown, ctx: CallContext): Promise<ApiResult<unknown>> {
    try {
      if (!isMethodName(name)) throw new EmilyError('NOT_FOUND', `there is no API method "${name.slice(0, 80)}"; the app and the core may be of different versions: restart Emily`);
      const handler = this.handlers.get(name);
      if (!handler) {
        const prefix = name.split('.')[0]!;
        throw new EmilyError('NOT_FOUND', this.unavailable.get(prefix) ?? `${name} is not available in this build of Emily`);
      }
      const parsed = apiContract[name].input.safeParse(rawInput ?? {});
      if (!parsed.success) throw new EmilyError('BAD_INPUT', `${name}: ${describeIssues(parsed.error.issues)}`);
      return { ok: true, value: await handler(parsed.data, ctx) };
    } catch (e) {
      return { ok: false, error: toWireError(e) };
    }
  }
}

function describeIssues(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}
