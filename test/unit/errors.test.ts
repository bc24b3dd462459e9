import { describe, expect, it } from 'vitest';
import { EmilyError, sqlState, toEmilyError, toWireError } from '../../electron/core/errors.js';

describe('error mapping', () => {
  it('maps PostgreSQL errors by SQLSTATE, not by message', () => {
    const server = (message: string, code: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });
    expect(toEmilyError(server('whatever text', '23505')).code).toBe('CONFLICT');
    expect(toEmilyError(server('x', '42501')).code).toBe('FORBIDDEN');
    expect(toEmilyError(server('duplicate key', 'XX000')).code).toBe('DATABASE_ERROR');
    expect(sqlState(server('x', '57P01'))).toBe('57P01');
  });

  it('does not take a system error whose code looks like a SQLSTATE for a server error', () => {
    const sys = Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' });
    expect(sqlState(sys)).toBeUndefined();
    expect(toEmilyError(sys).code).toBe('CLUSTER_UNAVAILABLE');
    // A missing socket file is a server that is not running, like a refused TCP connection.
    expect(toEmilyError(Object.assign(new Error('connect ENOENT /home/ana/.config/Emily/pgdata/.s.PGSQL.5433'), { code: 'ENOENT', syscall: 'connect' })).code).toBe('CLUSTER_UNAVAILABLE');
    expect(toEmilyError(Object.assign(new Error("ENOENT: no such file or directory, open 'x.dump'"), { code: 'ENOENT', syscall: 'open' })).code).toBe('INTERNAL');
  });

  it('maps refused connections to CLUSTER_UNAVAILABLE and keeps the cause', () => {
    const sys = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const e = toEmilyError(sys, 'opening');
    expect(e.code).toBe('CLUSTER_UNAVAILABLE');
    expect(e.message).toBe('opening: connect ECONNREFUSED');
    expect(e.cause).toBe(sys);
  });

  it('passes EmilyErrors through and puts { code, message } on the wire', () => {
    const e = new EmilyError('NOT_FOUND', 'no such memory');
    expect(toEmilyError(e)).toBe(e);
    expect(toWireError(e)).toEqual({ code: 'NOT_FOUND', message: 'no such memory' });
    expect(toWireError('boom')).toEqual({ code: 'INTERNAL', message: 'boom' });
  });
});
