import type { ErrorCode } from '../../core/errors.js';

/** Every call answers this, over every transport. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } };
