/**
 * The event sockets opened with each session. A socket outlives the request that opened it,
 * so when its session ends (sign-out, expiry, or the session row deleted) the socket must be
 * closed too, or it would go on carrying the account's chat to whoever still holds it.
 */
export class SessionSockets {
  private readonly byToken = new Map<string, Set<{ close(code?: number, reason?: string): void }>>();

  add(token: string, socket: { close(code?: number, reason?: string): void }): () => void {
    let set = this.byToken.get(token);
    if (!set) this.byToken.set(token, (set = new Set()));
    set.add(socket);
    return () => {
      set.delete(socket);
      if (!set.size && this.byToken.get(token) === set) this.byToken.delete(token);
    };
  }

  /** Closes every socket of this session (1008: policy violation, the client should sign in again). */
  close(token: string | undefined): void {
    if (!token) return;
    const set = this.byToken.get(token);
    this.byToken.delete(token);
    for (const s of set ?? []) s.close(1008, 'session ended');
  }

  /** Closes the sockets whose session is no longer valid. */
  async sweep(stillValid: (token: string) => Promise<boolean>): Promise<void> {
    for (const token of [...this.byToken.keys()]) {
      if (!(await stillValid(token).catch(() => true))) this.close(token);
    }
  }

  get size(): number {
    return this.byToken.size;
  }
}
