/** What the crash tests' chat worker says on turn n (a preference, so learning writes a memory). */
export function turnText(n: number): string {
  return `I love crash-proof thing number ${n}, code word kx${n}q.`;
}
