import { CONCEPTS, STOPWORDS } from './lexicon.js';
import { l2normalise, type Embedder } from './types.js';

/**
 * The built-in offline embedder: no download, no network, deterministic. Signed feature
 * hashing of words, crude stems, word pairs, character n-grams and a small concept
 * lexicon, with sublinear term frequency, L2-normalised. It knows no synonyms beyond its
 * lexicon, but it matches word forms ("cook" / "cooking"), typos and any script, which
 * plain full-text search does not; `emily bench quality` measures it against that.
 */
export const HASH_EMBEDDER_ID = 'emily-hash-v1';

const WEIGHTS = { word: 1.0, stem: 0.6, concept: 0.7, pair: 0.45, gram: 0.35, stop: 0.12 };
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;
const MAX_CHARS = 20_000; // beyond this the vector would not change meaningfully

export class HashEmbedder implements Embedder {
  readonly id: string;
  readonly maxBatch = 512;
  constructor(readonly dimensions = 384) {
    if (!Number.isInteger(dimensions) || dimensions < 16 || dimensions > 4096) throw new Error('hash embedder dimensions must be 16..4096');
    this.id = dimensions === 384 ? HASH_EMBEDDER_ID : `${HASH_EMBEDDER_ID}-${dimensions}`;
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((t) => this.embedOne(t)));
  }

  embedOne(text: string): Float32Array {
    const features = new Map<string, number>();
    const add = (f: string, w: number) => features.set(f, (features.get(f) ?? 0) + w);
    const words = tokenize(text.slice(0, MAX_CHARS));
    let prev: string | undefined;
    for (const w of words) {
      if (STOPWORDS.has(w)) {
        add(`w:${w}`, WEIGHTS.stop);
        prev = undefined;
        continue;
      }
      if (UNSPACED.test(w)) {
        // Scripts written without spaces (Chinese, Japanese, Thai): a "word" is a whole
        // phrase, so characters and character bigrams carry the meaning.
        const cs = [...w];
        add(`w:${w}`, WEIGHTS.stop);
        for (let i = 0; i < cs.length; i++) {
          add(`u:${cs[i]}`, WEIGHTS.gram);
          if (i + 1 < cs.length) add(`b:${cs[i]}${cs[i + 1]}`, WEIGHTS.word * 0.6);
        }
        prev = undefined;
        continue;
      }
      add(`w:${w}`, WEIGHTS.word);
      const s = stem(w);
      if (s !== w) add(`w:${s}`, WEIGHTS.stem);
      const c = CONCEPTS.get(w) ?? CONCEPTS.get(s);
      if (c) add(`c:${c}`, WEIGHTS.concept);
      if (prev) add(`p:${prev}_${s}`, WEIGHTS.pair);
      prev = s;
      const padded = `<${w}>`;
      const chars = [...padded];
      const grams: string[] = [];
      for (const n of [3, 4]) for (let i = 0; i + n <= chars.length; i++) grams.push(chars.slice(i, i + n).join(''));
      const gw = WEIGHTS.gram / Math.sqrt(Math.max(1, grams.length));
      for (const g of grams) add(`g:${g}`, gw);
    }
    const v = new Float32Array(this.dimensions);
    for (const [f, tf] of features) {
      // Sublinear tf keeps a repeated word from drowning the rest of the sentence.
      const value = tf >= 1 ? 1 + Math.log(tf) : tf;
      // Words, concepts and pairs go to three slots each: with a few hundred dimensions two
      // words collide in one slot now and then (birthday problem), but rarely in all three.
      const slots = f.charCodeAt(0) === 103 /* g: */ ? 1 : 3;
      const share = value / Math.sqrt(slots);
      for (let k = 0; k < slots; k++) {
        const h = hash32(k ? `${k}${f}` : f);
        const idx = (h >>> 1) % this.dimensions;
        v[idx] = v[idx]! + (h & 1 ? share : -share);
      }
    }
    return l2normalise(v);
  }
}

/** Lower-cased runs of letters and digits in any script (NFKC, so full-width forms fold). */
export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{M}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
}

/** A deliberately crude English stemmer: enough to meet "cooking" with "cook", "loves" with "love". */
export function stem(word: string): string {
  let w = word.endsWith("'s") ? word.slice(0, -2) : word;
  if (w.length <= 3) return w;
  for (const [suffix, keep] of [['ies', 'y'], ['ing', ''], ['ed', ''], ['s', '']] as const) {
    if (w.endsWith(suffix) && !w.endsWith('ss') && w.length - suffix.length >= 3) {
      w = w.slice(0, -suffix.length) + keep;
      break;
    }
  }
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  if (w.length > 3 && /([^aeiou])\1$/.test(w)) w = w.slice(0, -1); // running → run
  return w;
}

/** FNV-1a over UTF-16 units with a murmur finaliser for an even spread. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
