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
