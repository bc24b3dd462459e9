import { describe, expect, it } from 'vitest';
import { EmilyError, toEmilyError, toWireError } from '../../electron/core/errors.js';

describe('error mapping', () => {
  it('maps PostgreSQL errors by SQLSTATE, not by message', () => {
    const pgErr = Object.assign(new Error('whatever text'), { code: '23505' });
    expect(toEmilyError(pgErr).code).toBe('CONFLICT');
    expect(toEmilyError(Object.assign(new Error('x'), { code: '42501' })).code).toBe('FORBIDDEN');
    expect(toEmilyError(Object.assign(new Error('duplicate key'), { code: 'XX000' })).code).toBe('DATABASE_ERROR');
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
