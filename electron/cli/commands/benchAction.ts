import { emit } from '../output.js';
import type { Runner } from './users.js';

/** A `bench` subcommand's action: measure with the parsed options, print the figures as one JSON document. */
export function benchAction<O extends { json?: boolean }>(run: Runner, measure: (opts: O) => Promise<unknown>): (opts: O) => Promise<void> {
  return (opts) => run(opts, async () => emit({ json: true }, await measure(opts), () => ''));
}
