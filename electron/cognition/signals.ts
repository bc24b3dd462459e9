import { tokenize } from '../embeddings/hashEmbedder.js';
import { clamp01 } from './text.js';

/**
 * Cheap per-statement signals used at promotion: how likely it is noise, its sentiment,
 * how concrete it is. Rules, not a model: deterministic and explainable.
 */

const POSITIVE = new Set('love loves loved like likes enjoy enjoys happy glad great good wonderful excited proud favourite favorite adore best fun beautiful thanks thank'.split(' '));
const NEGATIVE = new Set("hate hates hated dislike sad angry upset afraid scared worried terrible awful bad worst lonely tired sick pain annoyed can't stand".split(' '));
const MONTHS = /\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|jun(e)?|jul(y)?|aug(ust)?|sep(tember)?|oct(ober)?|nov(ember)?|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/i;

/** Probability that a statement is noise: keyboard mash, repeated characters, symbol soup. */
export function gibberish(text: string): number {
  const chars = [...text];
  if (chars.length === 0) return 1;
  const letters = chars.filter((c) => /[\p{L}]/u.test(c)).length;
  const symbols = chars.filter((c) => /[^\p{L}\p{N}\s.,;:!?'"()-]/u.test(c)).length;
  const words = tokenize(text);
  let score = 0;
  if (letters / chars.length < 0.5) score += 0.4;
  score += Math.min(0.4, (symbols / chars.length) * 2);
  if (/(.)\1{4,}/u.test(text)) score += 0.3;
  // Latin-script words with no vowel or long consonant runs look like keyboard mashing.
  const latin = words.filter((w) => /^[a-z]+$/.test(w) && w.length > 3);
  if (latin.length) {
    const odd = latin.filter((w) => !/[aeiouy]/.test(w) || /[bcdfghjklmnpqrstvwxz]{5,}/.test(w)).length;
    score += (odd / latin.length) * 0.7;
  }
  if (words.length === 0) score += 0.5;
  return clamp01(score);
}

/** Sentiment in [-1, 1] from a small word list; negation flips the next word. */
export function valence(text: string): number {
  let s = 0;
  let n = 0;
  let negate = false;
  for (const w of tokenize(text)) {
    if (w === 'not' || w === "don't" || w === 'never' || w === "doesn't" || w === 'no') {
      negate = true;
      continue;
    }
    const v = POSITIVE.has(w) ? 1 : NEGATIVE.has(w) ? -1 : 0;
    if (v) {
      s += negate ? -v : v;
      n++;
    }
    negate = false;
  }
  return n ? Math.max(-1, Math.min(1, s / Math.max(1, n))) * Math.min(1, 0.5 + n * 0.25) : 0;
}

/** Concreteness: names (capitalised words not at the start), numbers, dates. */
export function specificity(text: string): number {
  const words = text.split(/\s+/).filter(Boolean);
  const names = words.slice(1).filter((w) => /^\p{Lu}\p{Ll}+/u.test(w)).length;
  const numbers = (text.match(/\p{N}+/gu) ?? []).length;
  const date = MONTHS.test(text) || /\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b/.test(text) ? 1 : 0;
  return clamp01(0.3 + 0.15 * Math.min(3, names) + 0.1 * Math.min(3, numbers) + 0.2 * date);
}

/** Importance: an explicit "remember", emotion, personal facts. */
export function salience(text: string, opts: { explicit: boolean; personal: boolean }): number {
  return clamp01(0.4 + (opts.explicit ? 0.4 : 0) + (opts.personal ? 0.15 : 0) + Math.abs(valence(text)) * 0.15);
}

const NEGATION = new Set(['not', 'no', 'never', "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "can't", 'cannot', "won't", "haven't", "hasn't", 'nobody', 'nothing', 'neither', 'nor']);

/** The statement denies something ("I don't drink coffee"). */
export function negated(text: string): boolean {
  return tokenize(text).some((w) => NEGATION.has(w) || w.endsWith("n't"));
}

/**
 * Two statements that say opposite things about the same matter: one denies what the other
 * asserts, or their sentiments point opposite ways ("I love coffee" / "I hate coffee").
 */
export function opposed(a: string, b: string): boolean {
  if (negated(a) !== negated(b)) return true;
  const va = valence(a);
  const vb = valence(b);
  return Math.abs(va) >= 0.25 && Math.abs(vb) >= 0.25 && Math.sign(va) !== Math.sign(vb);
}
