import { describe, expect, it } from 'vitest';
import { ConnectionBudget } from '../../electron/databases/connectionBudget.js';

describe('ConnectionBudget', () => {
  it('hands out permits up to capacity, then queues callers in arrival order', async () => {
    const b = new ConnectionBudget(2);
    await b.acquire();
    await b.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) => b.acquire().then(() => order.push(n)));
    expect(b.waiting).toBe(3);
    b.release();
    b.release();
    b.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    expect(b.inUse).toBe(2);
    expect(b.peakInUse).toBe(2);
  });

  it('asks for room when someone starts waiting', async () => {
    const b = new ConnectionBudget(1);
    let pressure = 0;
    b.onPressure = () => pressure++;
    await b.acquire();
    const w = b.acquire();
    expect(pressure).toBe(1);
    b.release();
    await w;
  });

  it('asks for room ahead of need once fewer than its headroom of permits are left', async () => {
    const b = new ConnectionBudget(10, 30_000, 2);
    let pressure = 0;
    b.onPressure = () => pressure++;
    for (let i = 0; i < 8; i++) await b.acquire();
    expect(pressure).toBe(0);
    await b.acquire(); // 9 of 10 in use: only 1 left, under the headroom of 2
    await Promise.resolve();
    expect(pressure).toBe(1);
    expect(b.waiting).toBe(0);
  });

  it('fails a waiter with BUSY after the wait timeout instead of hanging', async () => {
    const b = new ConnectionBudget(1, 30);
    await b.acquire();
    await expect(b.acquire()).rejects.toMatchObject({ code: 'BUSY' });
    expect(b.waiting).toBe(0);
  });

  it('refuses a release without an acquire', () => {
    expect(() => new ConnectionBudget(1).release()).toThrow(/released more often/);
  });
});
