import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * SCRAM-SHA-256 verifier (RFC 5802/7677) in PostgreSQL's storage format, computed here so
 * that CREATE ROLE never carries the password itself.
 *
 * Per-user role passwords are 256-bit HMAC outputs, so key stretching adds no protection
 * against guessing; a low iteration count keeps each new connection cheap, which matters
 * because 600 users over 60 connections means connecting often.
 */
export const ROLE_SCRAM_ITERATIONS = 64;

export function scramVerifier(password: string, iterations = ROLE_SCRAM_ITERATIONS, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
