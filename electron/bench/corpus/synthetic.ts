import { ADJ, CITIES, FEELINGS, FOODS, HOBBIES, JOBS, NAMES, PETS, PET_NAMES, RELATIONS, THINGS, TIMES, TOPICS } from './vocabulary.js';

/**
 * A deterministic generator of a well-used Emily's text: short L3 statements of every kind
 * and longer L4 turns of both roles, varied enough that vectors and full-text behave as
 * they would on real data (not the same sentence 16,000 times).
 */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    // mulberry32
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

type Kind = 'fact' | 'preference' | 'episode' | 'goal' | 'reflection' | 'outcome';
type Template = { kind: Kind; make: (r: Rng) => string };
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const city = (r: Rng) => r.pick(CITIES).replace(/([a-z])([A-Z])/g, '$1 $2');

const MEMORY_TEMPLATES: Template[] = [
  { kind: 'fact', make: (r) => `My ${r.pick(RELATIONS)} ${r.pick(NAMES)} lives in ${city(r)}.` },
  { kind: 'fact', make: (r) => `My ${r.pick(RELATIONS)} is called ${r.pick(NAMES)} and works as a ${r.pick(JOBS)}.` },
  { kind: 'fact', make: (r) => `I work as a ${r.pick(JOBS)} in ${city(r)}.` },
  { kind: 'fact', make: (r) => `I grew up in ${city(r)} and moved to ${city(r)} in ${1995 + r.int(30)}.` },
  { kind: 'fact', make: (r) => `My ${r.pick(PETS)} ${r.pick(PET_NAMES)} is ${1 + r.int(15)} years old.` },
  { kind: 'fact', make: (r) => `${r.pick(NAMES)}'s birthday is on ${1 + r.int(28)} ${r.pick(['January', 'March', 'May', 'July', 'September', 'November', 'April', 'June'])}.` },
  { kind: 'fact', make: (r) => `I bought ${r.pick(THINGS)} ${r.pick(TIMES)}.` },
  { kind: 'fact', make: (r) => `I am allergic to ${r.pick(['peanuts', 'shellfish', 'pollen', 'cats', 'penicillin', 'gluten', 'dust', 'bee stings'])}.` },
  { kind: 'preference', make: (r) => `I love ${r.pick(HOBBIES)} on ${r.pick(['weekends', 'Sunday mornings', 'summer evenings', 'holidays', 'rainy days'])}.` },
  { kind: 'preference', make: (r) => `I really enjoy ${r.pick(FOODS)}, especially the way ${r.pick(NAMES)} makes it.` },
  { kind: 'preference', make: (r) => `I can't stand ${r.pick(FOODS)}.` },
  { kind: 'preference', make: (r) => `I prefer ${r.pick(FOODS)} over ${r.pick(FOODS)}.` },
  { kind: 'preference', make: (r) => `My favourite way to relax is ${r.pick(HOBBIES)}.` },
  { kind: 'episode', make: (r) => `${cap(r.pick(TIMES))} I did some ${r.pick(HOBBIES)} with ${r.pick(NAMES)} near ${city(r)}.` },
  { kind: 'episode', make: (r) => `I felt ${r.pick(FEELINGS)} about ${r.pick(TOPICS)} ${r.pick(TIMES)}.` },
  { kind: 'episode', make: (r) => `We had a ${r.pick(ADJ)} dinner of ${r.pick(FOODS)} at ${r.pick(NAMES)}'s place.` },
  { kind: 'goal', make: (r) => `I want to get better at ${r.pick(HOBBIES)} this year.` },
  { kind: 'goal', make: (r) => `I plan to visit ${r.pick(NAMES)} in ${city(r)} ${r.pick(['next month', 'in the autumn', 'next spring', 'before Christmas'])}.` },
  { kind: 'goal', make: (r) => `I hope to finish ${r.pick(TOPICS)} by ${r.pick(['June', 'the end of the year', 'my birthday', 'next week'])}.` },
  { kind: 'reflection', make: (r) => `Talking about ${r.pick(TOPICS)} helps me feel ${r.pick(FEELINGS)}.` },
  { kind: 'reflection', make: (r) => `The user tends to feel ${r.pick(FEELINGS)} when ${r.pick(TOPICS)} comes up.` },
  { kind: 'outcome', make: (r) => `Suggesting ${r.pick(HOBBIES)} when the user feels ${r.pick(FEELINGS)} worked well.` },
];

const USER_TURNS: ((r: Rng) => string)[] = [
  (r) => `${cap(r.pick(TIMES))} was ${r.pick(ADJ)}. I spent most of it on ${r.pick(TOPICS)} and honestly I feel ${r.pick(FEELINGS)}.`,
  (r) => `Can you remind me what ${r.pick(NAMES)} said about ${r.pick(TOPICS)}? I think it was ${r.pick(TIMES)}.`,
  (r) => `My ${r.pick(RELATIONS)} ${r.pick(NAMES)} is coming to ${city(r)} and I want to cook ${r.pick(FOODS)} for them.`,
  (r) => `I tried ${r.pick(HOBBIES)} for the first time ${r.pick(TIMES)}. It was ${r.pick(ADJ)}, but my legs hurt.`,
  (r) => `What do you think about ${r.pick(THINGS)} for someone who loves ${r.pick(HOBBIES)}?`,
  (r) => `Work was ${r.pick(ADJ)} today. As a ${r.pick(JOBS)} I never know what the day brings.`,
  (r) => `I keep thinking about ${r.pick(TOPICS)}. Should I talk to ${r.pick(NAMES)} about it?`,
  (r) => `We are planning a trip to ${city(r)} ${r.pick(['next month', 'in the summer', 'for my birthday', 'over Easter'])}. Any ideas?`,
  (r) => `My ${r.pick(PETS)} ${r.pick(PET_NAMES)} was sick ${r.pick(TIMES)} and I was so ${r.pick(FEELINGS)}.`,
  (r) => `Thanks, that helped. I will try ${r.pick(HOBBIES)} again and let you know.`,
];

const ASSISTANT_TURNS: ((r: Rng) => string)[] = [
  (r) => `That sounds ${r.pick(ADJ)}. Last time you mentioned ${r.pick(TOPICS)}, you said it made you feel ${r.pick(FEELINGS)}. How is it going now?`,
  (r) => `${cap(r.pick(FOODS))} would be a lovely choice. Would ${r.pick(NAMES)} like something spicy, or should we keep it mild?`,
  (r) => `It is completely normal to feel ${r.pick(FEELINGS)} about ${r.pick(TOPICS)}. Maybe a bit of ${r.pick(HOBBIES)} this weekend would help you recharge.`,
  (r) => `I remember you love ${r.pick(HOBBIES)}. ${city(r)} has some great places for that, and the weather ${r.pick(TIMES)} was perfect.`,
  (r) => `Good luck with ${r.pick(TOPICS)}! Tell me how it goes, and say hello to ${r.pick(NAMES)} from me.`,
  (r) => `If you are looking at ${r.pick(THINGS)}, think about how often you would really use it. You said your budget was tight ${r.pick(TIMES)}.`,
];

export interface SyntheticMemory {
  content: string;
  kind: Kind;
}

/**
 * Distinct memories. Statements that differ only in a number ("… is 5 years old" / "… is 6
 * years old") would be collapsed by the learning cycle (cosine ≥ 0.92), so a real Emily
 * does not hold them side by side and neither does this one.
 */
export function syntheticMemories(n: number, seed = 1): SyntheticMemory[] {
  const r = new Rng(seed);
  const seen = new Set<string>();
  const out: SyntheticMemory[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > n * 50) throw new Error('the synthetic vocabulary is too small for that many memories');
    const t = r.pick(MEMORY_TEMPLATES);
    const content = t.make(r);
    const key = content.replace(/\d+/g, '#').toLowerCase().split(/\W+/).sort().join(' '); // word order too: "A over B" ~ "B over A"
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ content, kind: t.kind });
  }
  return out;
}

export function syntheticTurns(n: number, seed = 2): { role: 'user' | 'assistant'; content: string }[] {
  const r = new Rng(seed);
  const out: { role: 'user' | 'assistant'; content: string }[] = [];
  for (let i = 0; i < n; i++) {
    const role = i % 2 === 0 ? 'user' : 'assistant';
    const parts = 1 + r.int(2);
    const gen = role === 'user' ? USER_TURNS : ASSISTANT_TURNS;
    out.push({ role, content: Array.from({ length: parts }, () => r.pick(gen)(r)).join(' ') });
  }
  return out;
}

/** Questions a user might ask; the bench embeds them before timing. */
export function syntheticQueries(n: number, seed = 3): string[] {
  const r = new Rng(seed);
  const forms: ((r: Rng) => string)[] = [
    (r) => `where does my ${r.pick(RELATIONS)} live?`,
    (r) => `what do I like about ${r.pick(HOBBIES)}?`,
    (r) => `what did ${r.pick(NAMES)} cook?`,
    () => 'am I allergic to anything?',
    (r) => `tell me about my ${r.pick(PETS)}`,
    (r) => `what are my plans for ${city(r)}?`,
    (r) => `how did I feel about ${r.pick(TOPICS)}?`,
    (r) => `what is ${r.pick(NAMES)}'s job?`,
    (r) => `do I enjoy ${r.pick(FOODS)}?`,
    (r) => `when is ${r.pick(NAMES)}'s birthday?`,
  ];
  return Array.from({ length: n }, () => r.pick(forms)(r));
}
