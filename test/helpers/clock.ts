import type { Clock } from '../../src/clock.js';

/** A clock tests move by hand. */
export interface TestClock extends Clock {
  set(to: Date | string): void;
  advance(ms: number): void;
}

export function testClock(start: Date | string = '2026-01-15T10:00:00.000Z'): TestClock {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    set: (to) => {
      now = new Date(to).getTime();
    },
    advance: (ms) => {
      now += ms;
    },
  };
}
