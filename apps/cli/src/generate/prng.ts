/**
 * Seeded pseudo-random numbers for the sample generator. Nothing here reads the clock or
 * Math.random: every value is a function of the seed and of the position it is drawn for.
 */

/** murmur3's 32-bit finalizer: a bijection of the 32-bit integers with good avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit key for a seed (any safe integer, including values above 2^32). */
export function seedKey(seed: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return fmix32(lo ^ fmix32((hi + 0x9e3779b9) >>> 0));
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of state, so that the many
 * independent streams the generator uses (one per profile) do not overlap the way a 32-bit state
 * generator's would. `reseed` makes the stream a pure function of (key, index, salt).
 */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(key: number, index = 0, salt = 0) {
    this.reseed(key, index, salt);
  }

  reseed(key: number, index: number, salt: number): this {
    this.a = fmix32((key ^ 0x243f6a88) >>> 0);
    this.b = fmix32((index ^ 0x85a308d3) >>> 0);
    this.c = fmix32((salt ^ key ^ 0x13198a2e) >>> 0);
    this.d = fmix32((Math.floor(index / 4294967296) + 0x03707344) >>> 0);
    for (let i = 0; i < 12; i++) this.next();
    return this;
  }

  /** A uniform unsigned 32-bit integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform in [0, 1) with 53 bits of resolution. */
  float53(): number {
    return ((this.next() >>> 5) * 67108864 + (this.next() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }

  /** `n` decimal digits (leading zeros allowed). */
  digits(n: number): string {
    let s = '';
    while (n >= 9) {
      s += String(this.next() % 1000000000).padStart(9, '0');
      n -= 9;
    }
    if (n > 0) s += String(this.next() % 10 ** n).padStart(n, '0');
    return s;
  }

  /** A random version-4 UUID. */
  uuid(): string {
    return formatUuidV4(this.next(), this.next(), this.next(), this.next());
  }
}

/** Draws from a fixed discrete distribution in O(log n). */
export class Weighted<T> {
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    if (items.length !== weights.length || !items.length) throw new Error('Weighted: items and weights differ');
    let sum = 0;
    for (const w of weights) this.cumulative.push((sum += w));
    this.total = sum;
  }

  index(rng: Rng): number {
    const x = rng.float() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x < this.cumulative[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  draw(rng: Rng): T {
    return this.items[this.index(rng)];
  }
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(w: number): string {
  return HEX[w >>> 24] + HEX[(w >>> 16) & 0xff] + HEX[(w >>> 8) & 0xff] + HEX[w & 0xff];
}

/** `xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx` from four 32-bit words (w0 is kept whole). */
export function formatUuidV4(w0: number, w1: number, w2: number, w3: number): string {
  const b = hex32(((w1 & 0xffff0fff) | 0x00004000) >>> 0);
  const c = hex32(((w2 & 0x3fffffff) | 0x80000000) >>> 0);
  return `${hex32(w0 >>> 0)}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${hex32(w3 >>> 0)}`;
}
