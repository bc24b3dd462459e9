import type { z } from 'zod';

/**
 * One API method: the zod schema that validates its request at runtime (types vanish at
 * the transport boundary) and, as a phantom type, what it answers.
 */
export interface MethodDef<I extends z.ZodType, O> {
  readonly input: I;
  /** Never read at runtime: carries the response type. */
  readonly output?: O;
}

/** `method<Response>()(requestSchema)`: the response type is given, the request inferred. */
export function method<O>() {
  return <I extends z.ZodType>(input: I): MethodDef<I, O> => ({ input });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMethodDef = MethodDef<z.ZodType, any>;
export type ContractShape = Record<string, AnyMethodDef>;

export type InputOfDef<D> = D extends MethodDef<infer I, unknown> ? z.input<I> : never;
export type ParsedInputOfDef<D> = D extends MethodDef<infer I, unknown> ? z.output<I> : never;
export type OutputOfDef<D> = D extends MethodDef<z.ZodType, infer O> ? O : never;

/** Context every handler receives besides its validated request. */
export interface CallContext {
  /** Aborted when the caller goes away or cancels. */
  signal: AbortSignal;
}

/** What a domain implements for its slice of the contract. */
export type HandlerMap<C extends ContractShape> = {
  [K in keyof C]: (input: ParsedInputOfDef<C[K]>, ctx: CallContext) => Promise<OutputOfDef<C[K]>>;
};
