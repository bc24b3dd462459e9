import { sentences } from './text.js';

export type MemoryKind = 'fact' | 'preference' | 'episode' | 'goal' | 'reflection' | 'outcome';
export type MemorySource = 'user-stated' | 'inferred' | 'imported' | 'system';

export interface Candidate {
  content: string;
  kind: MemoryKind;
  confidence: number;
  /** The user explicitly asked to remember it. */
  explicit: boolean;
  /** It corrects something said before ("actually …", "no, …"). */
  correction: boolean;
  /** For "my X is Y": the slot X, so a later "my X is Z" can supersede it. */
  slot?: string;
}

export interface ExtractInput {
  userText: string;
  assistantText?: string;
}

/**
 * Turns an exchange into candidate memories. The rules extractor is the default; a
 * language-model extractor (structured output) can be plugged in with the same shape.
 */
export interface CandidateExtractor {
  readonly name: string;
  extract(input: ExtractInput): Promise<Candidate[]>;
}

const REMEMBER = /^(?:please\s+)?(?:remember|note|don't forget|do not forget)(?:\s+that)?[:,]?\s+(.+)$/i;
const CORRECTION = /^(?:no[,.!]\s*|nope[,.!]?\s*|actually[,]?\s+|correction[:,]?\s*|that'?s (?:wrong|not right|incorrect)[,.!]?\s*|not quite[,.!]?\s*|i meant\s+)(.*)$/i;
const MY_X_IS = /^my\s+([\p{L}\p{N}' -]{1,40}?)\s+(?:is|are|was|were|'s)\s+(.+)$/iu;
const PREFERENCE = /^i\s+(?:really\s+|absolutely\s+|just\s+)?(?:love|like|enjoy|hate|dislike|prefer|adore|can't stand|cannot stand|don't like|do not like)\b/i;
const GOAL = /^(?:i\s+(?:want|plan|hope|intend|am going|'m going|would like|wish)\s+to\b|my goal\b|i'm planning\b|i am planning\b)/i;
const FACT = /^(?:i\s+(?:am|was|have|had|live|lived|work|worked|was born|study|studied|speak|own|grew up|moved|got|use)\b|i'm\s+|i've\s+)/i;
const FIRST_PERSON = /\b(?:i|my|me|i'm|i've|mine)\b/i;
const STATEMENT = /^(?:i|my|we|our)\s/i;
const HEDGE = /\b(?:think|guess|wonder|maybe|perhaps|not sure|probably|might|if)\b/i;

/** Deterministic rules over the user's sentences; nothing from the assistant is taken as fact. */
export class RulesExtractor implements CandidateExtractor {
  readonly name = 'rules-v1';

  extract(input: ExtractInput): Promise<Candidate[]> {
    const out: Candidate[] = [];
    for (const raw of sentences(input.userText, 60)) {
      const c = this.one(raw);
      if (c) out.push(c);
    }
    return Promise.resolve(out);
  }

  one(raw: string): Candidate | undefined {
    let s = raw.replace(/\s+/g, ' ').trim();
    if (s.length < 6 || s.length > 500 || s.endsWith('?')) return undefined;
    let explicit = false;
    let correction = false;
    const rem = REMEMBER.exec(s);
    if (rem) {
      explicit = true;
      s = rem[1]!;
    }
    const cor = CORRECTION.exec(s);
    if (cor && cor[1]!.length >= 6) {
      correction = true;
      s = cor[1]!;
    }
    s = s.charAt(0).toUpperCase() + s.slice(1);
    const content = /[.!。！]$/u.test(s) ? s : `${s}.`;
    const bonus = (explicit ? 0.15 : 0) + (correction ? 0.05 : 0);
    const my = MY_X_IS.exec(s);
    if (my) return { content, kind: 'fact', confidence: Math.min(1, 0.85 + bonus), explicit, correction, slot: my[1]!.toLowerCase().trim() };
    if (PREFERENCE.test(s)) return { content, kind: 'preference', confidence: Math.min(1, 0.8 + bonus), explicit, correction };
    if (GOAL.test(s)) return { content, kind: 'goal', confidence: Math.min(1, 0.75 + bonus), explicit, correction };
    if (FACT.test(s)) return { content, kind: 'fact', confidence: Math.min(1, 0.72 + bonus), explicit, correction };
    if (explicit) return { content, kind: 'fact', confidence: 0.9, explicit, correction };
    // Other plain first-person statements ("My friend Sara moved to Berlin") are episodes;
    // hedged or very short ones stay below the promotion threshold.
    const words = s.split(/\s+/).length;
    if (STATEMENT.test(s) && words >= 5 && !HEDGE.test(s)) return { content, kind: 'episode', confidence: Math.min(1, 0.7 + bonus), explicit, correction };
    if (FIRST_PERSON.test(s)) return { content, kind: 'episode', confidence: 0.5 + bonus, explicit, correction };
    return undefined;
  }
}

/** The slot of a stored statement ("My sister is Ana." → "sister"), to detect corrections. */
export function slotOf(content: string): string | undefined {
  const m = MY_X_IS.exec(content.replace(/[.!。！]+$/u, ''));
  return m ? m[1]!.toLowerCase().trim() : undefined;
}
