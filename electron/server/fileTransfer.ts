import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FileRegistry } from '../api/files.js';
import { EmilyError, type ErrorCode } from '../core/errors.js';
import { bytesIn } from './scratchArea.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_INPUT: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, SCHEMA_TOO_NEW: 409, UNSAFE_DUMP: 422, INVALID_DUMP: 422,
  CANCELLED: 499, PROVIDER_ERROR: 502, BUSY: 503, CLUSTER_UNAVAILABLE: 503,
};

/** The HTTP status an API error code answers with. */
export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

export function refuse(reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  return reply.code(status).header('Cache-Control', 'no-store').send({ ok: false, error: { code, message } });
}

const QUOTA_CHECK_BYTES = 8 * 1024 ** 2;

/** An import file, streamed to a scratch file of this registry and answered with an opaque ref. */
export async function receiveUpload(req: FastifyRequest, reply: FastifyReply, files: FileRegistry, uploadLimit: number, quota = Infinity): Promise<unknown> {
  // An account's files waiting on the server count against its quota: uploads cannot fill the disk.
  const room = quota - bytesIn(files.scratchDir);
  const limit = Math.min(uploadLimit, room);
  const mib = (n: number) => Math.round(n / 1024 ** 2);
  const tooBig =
    limit < uploadLimit
      ? `your files waiting on the server (uploads not imported yet, exports not downloaded) leave room for ${mib(Math.max(0, room))} MiB of the ${mib(quota)} MiB each account has; they are removed a few hours after they were made`
      : `the file is larger than ${mib(uploadLimit)} MiB, the most Emily accepts`;
  if (limit <= 0 || Number(req.headers['content-length'] ?? 0) > limit) return refuse(reply.header('Connection', 'close'), 413, 'BAD_INPUT', tooBig);
  const body = req.body as NodeJS.ReadableStream | undefined;
  if (!body || typeof body.pipe !== 'function') return refuse(reply, 415, 'BAD_INPUT', 'send the file itself as application/octet-stream');
  const name = String((req.query as { name?: string }).name ?? 'upload');
  const entry = files.scratchFile('read', name);
  let seen = 0;
  let unchecked = 0;
  const checkEvery = Math.min(QUOTA_CHECK_BYTES, Math.max(64 * 1024, quota / 8));
  const overQuota = `your files waiting on the server (uploads not imported yet, exports not downloaded) would pass the ${mib(quota)} MiB each account has; they are removed a few hours after they were made`;
  try {
    await pipeline(
      body,
      async function* (source: AsyncIterable<string | Buffer>) {
        for await (const chunk of source) {
          const n = Buffer.byteLength(chunk);
          seen += n;
          if (seen > limit) throw new EmilyError('BAD_INPUT', tooBig);
          // Uploads running side by side each saw the room as it was when they began: the
          // account's folder (their partial files included) is weighed again as they grow.
          unchecked += n;
          if (quota !== Infinity && unchecked >= checkEvery) {
            unchecked = 0;
            if (bytesIn(files.scratchDir) + n > quota) throw new EmilyError('BAD_INPUT', overQuota);
          }
          yield chunk;
        }
      },
      fs.createWriteStream(entry.path, { mode: 0o600 }),
    );
  } catch (e) {
    fs.rmSync(entry.path, { force: true });
    if (e instanceof EmilyError) return refuse(reply.header('Connection', 'close'), 413, 'BAD_INPUT', e.message);
    throw e;
  }
  return { ok: true, value: { file: entry.ref, name: entry.name, bytes: seen } };
}

/** An export, downloadable once written: only files this registry created for writing. */
export async function sendDownload(reply: FastifyReply, files: FileRegistry, ref: string): Promise<unknown> {
  let entry;
  try {
    entry = files.get(ref, 'write');
  } catch (e) {
    const err = e as EmilyError;
    return refuse(reply, err.code === 'FORBIDDEN' ? 403 : 404, err.code, err.message);
  }
  if (!entry.scratch || !fs.existsSync(entry.path)) return refuse(reply, 404, 'NOT_FOUND', 'that export is not ready (or was removed); export again');
  reply.header('Content-Type', 'application/octet-stream');
  reply.header('Content-Disposition', `attachment; filename="${entry.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  return reply.send(fs.createReadStream(entry.path));
}
