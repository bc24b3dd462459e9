import { describe, expect, it } from 'vitest';
import { classifyFollowUp, outcomeMetrics } from '../../../electron/cognition/earl.js';
import { RulesExtractor, slotOf } from '../../../electron/cognition/extractor.js';
import { DEFAULT_FRAMEWORK } from '../../../electron/cognition/framework.js';
import { gibberish, specificity, valence } from '../../../electron/cognition/signals.js';
import { cleanText } from '../../../electron/cognition/text.js';
import { WorkingMemory } from '../../../electron/cognition/workingMemory.js';

const p = DEFAULT_FRAMEWORK.params;

describe('rules extractor', () => {
  const x = new RulesExtractor();
  it('finds facts, preferences, goals, explicit memories and corrections; skips questions', async () => {
    const c = await x.extract({ userText: 'My sister is Ana. I love jazz! I want to learn French. Remember that the wifi password is on the fridge. Actually, my sister is Anna. Where is my phone? The sky is blue.' });
    expect(c.map((k) => [k.kind, k.content, k.explicit, k.correction, k.slot ?? null])).toEqual([
      ['fact', 'My sister is Ana.', false, false, 'sister'],
      ['preference', 'I love jazz!', false, false, null],
      ['goal', 'I want to learn French.', false, false, null],
      ['fact', 'The wifi password is on the fridge.', true, false, null],
      ['fact', 'My sister is Anna.', false, true, 'sister'],
    ]);
    expect(c.every((k) => k.confidence >= 0.7)).toBe(true);
    expect(slotOf('My favourite colour is green.')).toBe('favourite colour');
  });
  it('keeps hedged or short first-person talk below the promotion threshold', async () => {
    const c = await x.extract({ userText: 'I think maybe I will go out later. I am.' });
    expect(c.every((k) => k.confidence < 0.7)).toBe(true);
  });
});

describe('signals', () => {
  it('scores keyboard mashing as gibberish and sentences as not', () => {
    expect(gibberish('xkcdqwrtzp vbnmsdfghjk qwrtplkj')).toBeGreaterThanOrEqual(0.5);
    expect(gibberish('My sister lives in Lisbon.')).toBeLessThan(0.2);
    expect(gibberish('私の猫はタマです')).toBeLessThan(0.5);
    expect(gibberish('$$$ ### @@@ !!!')).toBeGreaterThanOrEqual(0.5);
  });
  it('reads valence and specificity', () => {
    expect(valence('I love this wonderful town')).toBeGreaterThan(0.5);
    expect(valence('I do not like it')).toBeLessThan(0);
    expect(specificity('Ana was born on 3 May 1990 in Porto')).toBeGreaterThan(specificity('something happened once'));
  });
  it('cleans NUL, control characters and lone surrogates, and refuses what is left empty', () => {
    expect(cleanText('a\u0000b\u0007c\ud800', 'x', 100)).toBe('abc');
    expect(() => cleanText('\u0000 ', 'the message', 100)).toThrow(/empty/);
    expect(() => cleanText('abcdef', 'the message', 3)).toThrow(/limit is 3/);
  });
});

describe('EARL rules', () => {
  it('classifies follow-ups', () => {
    expect(classifyFollowUp("No, that's wrong.", 0.9, p)).toBe('correct');
    expect(classifyFollowUp('Thanks!', 0, p)).toBe('continue');
    expect(classifyFollowUp('How do volcanoes form under the ocean floor exactly?', 0, p)).toBe('redirect');
    expect(classifyFollowUp('Tell me more about the curry recipe please', 0.4, p)).toBe('continue');
  });
  it('moves outcome and epsilon by EMA; agreeing outcomes raise stability, mixed ones lower it', () => {
    const base = { source: 'user-stated' as const, confidence: 0.8, superseded: false, sources: 1 };
    const none = outcomeMetrics({ ...base, values: [] }, p);
    expect(none.outcome).toBe(0.5);
    const good = outcomeMetrics({ ...base, values: [1, 1, 1, 1, 1, 1] }, p);
    const mixed = outcomeMetrics({ ...base, values: [1, -1, 1, -1, 1, -1] }, p);
    expect(good.outcome).toBeCloseTo(1 - 0.5 * 0.8 ** 6, 5);
    expect(good.epsilon).toBeGreaterThan(none.epsilon);
    expect(good.stability).toBeGreaterThan(none.stability);
    expect(mixed.stability).toBeLessThan(good.stability);
    expect(outcomeMetrics({ ...base, superseded: true, values: [] }, p).epsilon).toBeCloseTo(none.epsilon / 2, 5);
  });
});

describe('L1 working memory', () => {
  it('keeps the last N turns, decays activations with a 3-turn half-life and refreshes on retrieval', () => {
    const wm = new WorkingMemory({ turns: 3 });
    wm.activate([{ memoryId: 1, content: 'a' }]);
    for (let i = 1; i <= 3; i++) wm.observeTurn({ id: i, conversationId: 1, role: 'user', content: `t${i}` });
    expect(wm.activation(1)).toBeCloseTo(0.5, 5);
    wm.observeTurn({ id: 4, conversationId: 1, role: 'assistant', content: 't4' });
    expect(wm.snapshot().turns.map((t) => t.id)).toEqual([2, 3, 4]);
    wm.activate([{ memoryId: 1, content: 'a' }]);
    expect(wm.activation(1)).toBe(1);
    for (let i = 0; i < 14; i++) wm.observeTurn({ id: 10 + i, conversationId: 1, role: 'user', content: 'x' });
    expect(wm.activation(1)).toBe(0);
    expect(wm.snapshot().memories).toEqual([]);
  });
});
