import { randomBytes } from 'node:crypto';
import { EmilyError } from './errors.js';

/**
 * User ids are generated here and nowhere else; database and role names are derived
 * from them. Nothing a user types ever becomes an identifier.
 */
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const USER_ID_RE = /^[a-z][a-z0-9]{11}$/;

export function newUserId(): string {
  const bytes = randomBytes(12);
  let id = ID_ALPHABET[bytes[0]! % 26]!; // starts with a letter
  for (let i = 1; i < 12; i++) id += ID_ALPHABET[bytes[i]! % ID_ALPHABET.length]!;
  return id;
}

export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_RE.test(value);
}

export function assertUserId(value: unknown): string {
  if (!isUserId(value)) {
    throw new EmilyError('BAD_INPUT', `"${String(value).slice(0, 40)}" is not a valid user id (expected 12 lower-case letters and digits, as printed by "emily users list")`);
  }
  return value;
}

export function userDatabaseName(userId: string): string {
  return `emily_u_${assertUserId(userId)}`;
}

export function userRoleName(userId: string): string {
  return `emily_r_${assertUserId(userId)}`;
}

export const CATALOG_DATABASE = 'emily_catalog';
export const TEMPLATE_DATABASE = 'emily_template';
/** Owns the template's objects so that provisioning can hand them to the user's role. */
export const TEMPLATE_OWNER_ROLE = 'emily_template_owner';
export const ADMIN_ROLE = 'postgres';

/** Double-quotes an identifier that we derived ourselves (defence in depth). */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new EmilyError('INTERNAL', `refusing unexpected identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}
