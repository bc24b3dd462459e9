/**
 * One error type for the whole core. Codes form a closed set so that every transport
 * (CLI exit codes, IPC, HTTP) can map them without parsing messages.
 */
export const ERROR_CODES = [
  'BAD_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'CLUSTER_UNAVAILABLE',
  'CLUSTER_START_FAILED',
  'PORT_IN_USE',
  'DATA_DIR_INVALID',
  'SCHEMA_TOO_NEW',
  'SCHEMA_MISMATCH',
  'EXTENSION_MISSING',
  'MIGRATION_FAILED',
  'DATABASE_ERROR',
  'BUSY',
  'CANCELLED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'UNSAFE_DUMP',
  'INVALID_DUMP',
  'TOOL_MISSING',
  'DISK_FULL',
  'PROVIDER_ERROR',
  'MODEL_UNREACHABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class EmilyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmilyError';
    this.code = code;
  }
}

/** A failure of a model or embedding server (or of a local model's package), not of Emily's own data. */
export function isModelFailure(e: unknown): boolean {
  return e instanceof EmilyError && (e.code === 'PROVIDER_ERROR' || e.code === 'MODEL_UNREACHABLE' || e.code === 'TOOL_MISSING');
}

export function isEmilyError(e: unknown): e is EmilyError {
  return e instanceof EmilyError;
}

/** PostgreSQL SQLSTATE classes we translate; anything else stays DATABASE_ERROR. */
const SQLSTATE_CODES: Record<string, ErrorCode> = {
  '23505': 'CONFLICT', // unique_violation
  '23503': 'CONFLICT', // foreign_key_violation
  '42P04': 'CONFLICT', // duplicate_database
  '42710': 'CONFLICT', // duplicate_object
  '3D000': 'NOT_FOUND', // invalid_catalog_name (database does not exist)
  '22P02': 'BAD_INPUT', // invalid_text_representation
  '22021': 'BAD_INPUT', // character_not_in_repertoire
  '22001': 'BAD_INPUT', // string_data_right_truncation
  '54000': 'BAD_INPUT', // program_limit_exceeded
  '28P01': 'UNAUTHORIZED', // invalid_password
  '28000': 'UNAUTHORIZED', // invalid_authorization_specification
  '42501': 'FORBIDDEN', // insufficient_privilege
  '57P01': 'CLUSTER_UNAVAILABLE', // admin_shutdown
  '57P03': 'CLUSTER_UNAVAILABLE', // cannot_connect_now
  '53300': 'BUSY', // too_many_connections
  '57014': 'CANCELLED', // query_canceled
};

export function sqlState(e: unknown): string | undefined {
  // A server's error carries a severity; a system error's code may look like a SQLSTATE (EPIPE).
  if (e && typeof e === 'object' && 'severity' in e && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    const code = (e as { code: string }).code;
    return /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  }
  return undefined;
}

/** Wraps any thrown value in an EmilyError, translating PostgreSQL errors by SQLSTATE. */
export function toEmilyError(e: unknown, context?: string): EmilyError {
  if (isEmilyError(e)) return e;
  const state = sqlState(e);
  const detail = e instanceof Error ? e.message : String(e);
  const message = context ? `${context}: ${detail}` : detail;
  if (state) return new EmilyError(SQLSTATE_CODES[state] ?? 'DATABASE_ERROR', message, { cause: e });
  if (connectionFailure(e)) return new EmilyError('CLUSTER_UNAVAILABLE', message, { cause: e });
  return new EmilyError('INTERNAL', message, { cause: e });
}

/**
 * A system error of a connection that could not be made or broke: refused, reset, or a
 * write to a peer that is gone (EPIPE; over a Unix-domain socket a terminated backend shows
 * this before its goodbye is read), or a socket file that is not there (ENOENT on connect).
 */
export function connectionFailure(e: unknown): boolean {
  const sys = e && typeof e === 'object' ? (e as { code?: unknown; syscall?: unknown }) : {};
  return ['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ENOTCONN', 'EPIPE'].includes(String(sys.code)) || (sys.code === 'ENOENT' && sys.syscall === 'connect');
}

/** The shape every transport puts on the wire. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

export function toWireError(e: unknown): WireError {
  const err = toEmilyError(e);
  return { code: err.code, message: err.message };
}
