import os from 'node:os';

const MB = 1024 * 1024;

/**
 * shared_buffers for the embedded server: a sixteenth of the machine's memory, between
 * PostgreSQL's own default (128 MB) and 1 GB.
 *
 * Every user database has its own catalogs, so a server with hundreds of users touches far
 * more distinct pages than one with a single database: at 128 MB, 600 users re-read a fifth
 * of their pages from the operating system on every visit. Linux commits the memory only as
 * buffers are used, so a desktop with one user does not pay for the ceiling.
 */
export function sharedBuffersMb(totalBytes = os.totalmem()): number {
  return Math.round(Math.min(1024, Math.max(128, totalBytes / 16 / MB)));
}
