/**
 * The stable ascending order of non-negative keys (p-values, with +Infinity
 * for "no p"): the indices of `keys` sorted by key, ties in index order.
 * An LSD radix sort on the keys' IEEE-754 bits (for doubles >= 0 the bits
 * read as an unsigned integer are in the same order as the numbers), four
 * passes of 16 bits: no comparator call per pair (a million-row answer
 * sorted by p: 0.35 s with a comparator, tens of ms here).
 */
export function stableOrder(keys: Float64Array): Uint32Array {
  const n = keys.length;
  const bits = new Uint32Array(keys.buffer.slice(keys.byteOffset, keys.byteOffset + 8 * n));
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    if (!(k >= 0)) throw new RangeError(`stableOrder: key ${i} is not a number >= 0`);
    // -0 reads as the largest bit pattern: make it +0.
    if (k === 0) { bits[2 * i] = 0; bits[2 * i + 1] = 0; }
  }
  let order = new Uint32Array(n);
  let next = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const counts = new Uint32Array(1 << 16);
  // Little-endian words: bits[2i] is the low word, bits[2i + 1] the high word.
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? 0 : 1;
    const shift = pass % 2 === 0 ? 0 : 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(bits[2 * i + word]! >>> shift) & 0xffff]! += 1;
    // A pass whose digit is the same for every key changes nothing.
    if (counts[(bits[word]! >>> shift) & 0xffff] === n) continue;
    let sum = 0;
    for (let d = 0; d < counts.length; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let j = 0; j < n; j++) {
      const i = order[j]!;
      next[counts[(bits[2 * i + word]! >>> shift) & 0xffff]!++] = i;
    }
    [order, next] = [next, order];
  }
  return order;
}
