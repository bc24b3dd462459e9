import { describe, expect, it } from 'vitest';
import type { ChatMessage, SendResult } from '../../electron/api/contract/index.js';
import { composerKeyAction } from '../../renderer/src/logic/chatKeys.js';
import { chatReducer, initialChat } from '../../renderer/src/logic/chatStream.js';
import { confirmMatches } from '../../renderer/src/logic/format.js';
import { radialLayout } from '../../renderer/src/logic/graphLayout.js';
import { applyProgress, startOperation } from '../../renderer/src/logic/operation.js';
import { PageCache } from '../../renderer/src/logic/pageCache.js';

const msg = (id: string, role: 'user' | 'assistant', text: string): ChatMessage => ({ id, role, text, createdAt: '2026-01-01T00:00:00Z', cut: false, answeredBy: role === 'assistant' ? 'memory' : null, memoryReason: role === 'assistant' ? 'no-model' : null, modelError: null, uses: [], feedback: null });

describe('composer keys', () => {
  it('Enter sends, Shift+Enter is a newline, Esc cancels only while streaming', () => {
    expect(composerKeyAction({ key: 'Enter', shiftKey: false }, { streaming: false, text: 'hi' })).toBe('send');
    expect(composerKeyAction({ key: 'Enter', shiftKey: true }, { streaming: false, text: 'hi' })).toBe('newline');
    expect(composerKeyAction({ key: 'Enter', shiftKey: false }, { streaming: false, text: '   ' })).toBeNull();
    expect(composerKeyAction({ key: 'Enter', shiftKey: false }, { streaming: true, text: 'hi' })).toBeNull();
    expect(composerKeyAction({ key: 'Escape', shiftKey: false }, { streaming: true, text: '' })).toBe('cancel');
    expect(composerKeyAction({ key: 'Escape', shiftKey: false }, { streaming: false, text: '' })).toBeNull();
    expect(composerKeyAction({ key: 'Enter', shiftKey: false, isComposing: true }, { streaming: false, text: 'hi' })).toBeNull();
  });
});

describe('chat stream state', () => {
  it('appends tokens of its own operation only, then stores the reply', () => {
    let s = chatReducer(initialChat, { type: 'send', operationId: 'op_a', text: 'hello' });
    s = chatReducer(s, { type: 'event', name: 'chat.token', payload: { operationId: 'op_a', text: 'Hel' } });
    s = chatReducer(s, { type: 'event', name: 'chat.token', payload: { operationId: 'op_other', text: 'XXX' } });
    s = chatReducer(s, { type: 'event', name: 'chat.token', payload: { operationId: 'op_a', text: 'lo' } });
    s = chatReducer(s, { type: 'event', name: 'chat.status', payload: { operationId: 'op_a', answeredBy: 'memory', reason: 'no-model', message: 'No model configured' } });
    expect(s.pending?.replyText).toBe('Hello');
    expect(s.pending?.status?.reason).toBe('no-model');
    const result: SendResult = { conversation: { id: '1', title: 't', createdAt: '', updatedAt: '' }, user: msg('1', 'user', 'hello'), reply: msg('2', 'assistant', 'Hello') };
    s = chatReducer(s, { type: 'done', result });
    expect(s.pending).toBeNull();
    expect(s.messages.map((m) => m.id)).toEqual(['1', '2']);
  });

  it('a send stopped before any reply keeps the message, with no reply and no draft given back', () => {
    let s = chatReducer(initialChat, { type: 'send', operationId: 'op_c', text: 'hang please' });
    s = chatReducer(s, { type: 'cancelling' });
    s = chatReducer(s, { type: 'done', result: { conversation: { id: '1', title: 't', createdAt: '', updatedAt: '' }, user: msg('3', 'user', 'hang please'), reply: null } });
    expect(s.messages.map((m) => m.text)).toEqual(['hang please']);
    expect([s.pending, s.error, s.restoreDraft]).toEqual([null, null, null]);
  });

  it('a failed send gives the typed text back and says why', () => {
    let s = chatReducer(initialChat, { type: 'send', operationId: 'op_b', text: 'my long message' });
    s = chatReducer(s, { type: 'failed', message: 'cannot reach Emily' });
    expect(s.error).toBe('cannot reach Emily');
    expect(s.restoreDraft).toBe('my long message');
    expect(chatReducer(s, { type: 'draftRestored' }).restoreDraft).toBeNull();
  });

  it('feedback marks the reply', () => {
    const s = chatReducer({ ...initialChat, messages: [msg('7', 'assistant', 'x')] }, { type: 'feedback', messageId: '7', verdict: 'wrong' });
    expect(s.messages[0]!.feedback).toBe('wrong');
  });
});

describe('memory list page cache', () => {
  it('asks only for the pages a visible range lacks, once', () => {
    const c = new PageCache<number>(100);
    expect(c.missing(0, 250, 50_000)).toEqual([0, 1, 2]);
    c.start(0);
    c.fill(1, Array.from({ length: 100 }, (_, i) => 100 + i));
    expect(c.missing(0, 250, 50_000)).toEqual([2]);
    expect(c.row(150)).toBe(150);
    expect(c.row(5)).toBeUndefined();
    expect(c.missing(49_950, 50_100, 50_000)).toEqual([499]);
    c.fail(0);
    expect(c.missing(0, 10, 50_000)).toEqual([0]);
    c.clear();
    expect(c.missing(100, 110, 50_000)).toEqual([1]);
  });
});

describe('progress', () => {
  it('follows its own operation and never goes backwards within a phase', () => {
    let op = startOperation('op_x', 'Exporting');
    op = applyProgress(op, { operationId: 'op_x', phase: 'dump', done: 50, total: 100, message: 'tables' })!;
    op = applyProgress(op, { operationId: 'op_x', phase: 'dump', done: 40, total: 100, message: 'tables' })!;
    expect(op.done).toBe(50);
    op = applyProgress(op, { operationId: 'op_y', phase: 'dump', done: 99, total: 100, message: '' })!;
    expect(op.done).toBe(50);
    op = applyProgress(op, { operationId: 'op_x', phase: 'verify', done: 1, total: 10, message: 'checking' })!;
    expect(op).toMatchObject({ phase: 'verify', done: 1, total: 10 });
  });
});

describe('typed confirmation and graph layout', () => {
  it('needs the exact name', () => {
    expect(confirmMatches('Ana', 'Ana')).toBe(true);
    expect(confirmMatches('ana', 'Ana')).toBe(false);
    expect(confirmMatches('Ana ', 'Ana')).toBe(false);
    expect(confirmMatches('', '')).toBe(false);
  });

  it('puts the memory in the middle and each distinct neighbour on the circle, strongest first', () => {
    const nodes = radialLayout('1', 'me', [
      { otherId: '2', otherText: 'a', direction: 'out', kind: 'related', weight: 0.2 },
      { otherId: '3', otherText: 'b', direction: 'in', kind: 'supports', weight: 0.9 },
      { otherId: '3', otherText: 'b', direction: 'out', kind: 'related', weight: 0.5 },
    ], 200);
    expect(nodes.map((n) => n.id)).toEqual(['1', '3', '2']);
    expect(nodes[0]).toMatchObject({ x: 100, y: 100 });
    expect(nodes[1]!.y).toBeLessThan(100);
    for (const n of nodes.slice(1)) expect(Math.hypot(n.x - 100, n.y - 100)).toBeCloseTo(72, 5);
  });
});
