import { EmilyError } from '../core/errors.js';

let refusal: string | null = null;

/**
 * Server mode: no account may make this process open a file on the server's disk as a model.
 * Settings refuse such a model when saved, but a profile's settings also arrive inside a dump
 * (replace, restore), so the loaders check too; the check comes first, so even "no such file"
 * never tells an account what exists on the server. Process-wide, as the server is.
 */
export function refuseModelFiles(reason: string | null): void {
  refusal = reason;
}

export function assertModelFilesAllowed(): void {
  if (refusal) throw new EmilyError('FORBIDDEN', refusal);
}
