/* eslint-disable no-bitwise */
// Math's functions held here: under a sandboxed global (jest's vm context) each `Math.x` lookup is many times the cost of the call.
const { floor, imul, log } = Math;

/** A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every platform. */
export class SeededRandom {
  private state: number;

  public constructor(seed: number) {
    this.state = (floor(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** A number in [0, 1). */
  public next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An exponentially distributed number with the given mean. */
  public exponential(mean: number): number {
    return -log(1 - this.next()) * mean;
  }
}
