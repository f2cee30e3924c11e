import { describe, expect, it } from 'vitest';
import { createFairShare } from './fair-share.ts';

function setup(perAgent = 2, perRestrictedAgent = 1) {
  let t = 0;
  const share = createFairShare({ perAgent, perRestrictedAgent, activeMs: 1000, now: () => t });
  return { share, advance: (ms: number) => (t += ms) };
}

/** Enters and reports when the slot was given. */
function enter(
  share: ReturnType<typeof createFairShare>,
  principal: string,
  locked: boolean,
  order: string[],
  tag: string,
) {
  const slot = share.enter(principal, locked);
  if (typeof slot === 'function') {
    order.push(tag);
    return Promise.resolve(slot);
  }
  return slot.then((release) => {
    order.push(tag);
    return release;
  });
}

const turn = () => new Promise((r) => setImmediate(r));

describe('fair share of the loop between agents', () => {
  it('never holds an agent that is alone, however many requests it has in progress', () => {
    const { share } = setup();
    const slots = Array.from({ length: 50 }, () => share.enter('a', true));
    expect(slots.every((s) => typeof s === 'function')).toBe(true);
    expect(share.inProgress('a')).toBe(50);
  });

  it('holds an agent to its share while another agent is active, and lets the rest in in arrival order', async () => {
    const { share } = setup(2);
    const order: string[] = [];
    share.enter('b', false);
    const first = await enter(share, 'a', false, order, 'a1');
    const second = await enter(share, 'a', false, order, 'a2');
    const rest = [enter(share, 'a', false, order, 'a3'), enter(share, 'a', false, order, 'a4')];
    await turn();
    expect(order).toEqual(['a1', 'a2']);
    expect(share.inProgress('a')).toBe(2);
    first();
    await turn();
    expect(order).toEqual(['a1', 'a2', 'a3']);
    second();
    await turn();
    expect(order).toEqual(['a1', 'a2', 'a3', 'a4']);
    for (const r of await Promise.all(rest)) r();
    expect(share.inProgress('a')).toBe(0);
  });

  it('answers a locked agent one request at a time while another agent is active', async () => {
    const { share } = setup(8, 1);
    const order: string[] = [];
    share.enter('b', false);
    const one = await enter(share, 'a', true, order, 'a1');
    const waiting = enter(share, 'a', true, order, 'a2');
    await turn();
    expect(order).toEqual(['a1']);
    one();
    (await waiting)();
    expect(order).toEqual(['a1', 'a2']);
  });

  it('gives a slot back once, however often release is called', async () => {
    const { share } = setup(1);
    share.enter('b', false);
    const order: string[] = [];
    const release = await enter(share, 'a', false, order, 'a1');
    const next = enter(share, 'a', false, order, 'a2');
    const third = enter(share, 'a', false, order, 'a3');
    release();
    release();
    await turn();
    expect(order).toEqual(['a1', 'a2']);
    expect(share.inProgress('a')).toBe(1);
    (await next)();
    (await third)();
    expect(share.inProgress('a')).toBe(0);
  });

  it('stops holding an agent once the others have been quiet for a while', async () => {
    const { share, advance } = setup(1);
    const other = share.enter('b', false);
    expect(typeof other).toBe('function');
    (other as () => void)();
    const order: string[] = [];
    const first = await enter(share, 'a', false, order, 'a1');
    const waiting = [enter(share, 'a', false, order, 'a2'), enter(share, 'a', false, order, 'a3')];
    advance(1001);
    // Both waiting requests go in at the next release: nobody else needs the loop now.
    first();
    await turn();
    expect(order).toEqual(['a1', 'a2', 'a3']);
    for (const r of await Promise.all(waiting)) r();
    expect(typeof share.enter('a', false)).toBe('function');
  });

  it('holds an agent whose last answers were all refusals like a locked one, until one succeeds', async () => {
    const { share } = setup(8, 1);
    share.enter('b', false);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await enter(share, 'a', false, order, `bad${i}`);
      r();
      share.answered('a', true);
    }
    const one = await enter(share, 'a', false, order, 'a1');
    const waiting = enter(share, 'a', false, order, 'a2');
    await turn();
    expect(order.at(-1)).toBe('a1');
    one();
    share.answered('a', false);
    (await waiting)();
    // A success ends it: the agent has its ordinary share again.
    const slots = [share.enter('a', false), share.enter('a', false), share.enter('a', false)];
    expect(slots.every((s) => typeof s === 'function')).toBe(true);
  });

  it('does not restrict an agent that makes a mistake every other request', async () => {
    const { share } = setup(8, 1);
    share.enter('b', false);
    for (let i = 0; i < 40; i++) {
      share.answered('a', i % 2 === 0);
      const slots = [share.enter('a', false), share.enter('a', false)];
      expect(slots.every((s) => typeof s === 'function')).toBe(true);
      for (const r of slots as (() => void)[]) r();
    }
  });

  it('keeps restricting an agent that mixes one cheap success into every three refusals', async () => {
    const { share } = setup(8, 1);
    share.enter('b', false);
    for (let i = 0; i < 40; i++) share.answered('a', i % 4 !== 3);
    // The last answer was the success: still one request at a time.
    const one = share.enter('a', false);
    expect(typeof one).toBe('function');
    expect(typeof share.enter('a', false)).not.toBe('function');
  });
});
