import { describe, expect, it } from 'vitest';
import { learnFromExchange, WorkingMemories } from '../../../electron/cognition/index.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();

describe('L1 after a restart', () => {
  it('is rebuilt from L4: the last turns of the latest conversation and the memories their replies used', async () => {
    const u = await t.user('restarted');
    const a = await learnFromExchange(t.emily, u.id, { userText: 'I love cooking Thai curries.', assistantText: 'Noted!' });
    const b = await learnFromExchange(t.emily, u.id, {
      conversationId: a.conversationId,
      userText: 'What should I cook tonight?',
      assistantText: 'A Thai curry?',
      usedMemories: [{ memoryId: a.promoted[0]! }],
    });
    const wm = await new WorkingMemories().get(t.emily, u.id);
    const snap = wm.snapshot();
    expect(snap.turns.map((x) => x.id)).toEqual([a.userTurnId, a.assistantTurnId, b.userTurnId, b.assistantTurnId]);
    expect(snap.memories).toEqual([{ memoryId: a.promoted[0], content: 'I love cooking Thai curries.', activation: 1 }]);
  });
});
