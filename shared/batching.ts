/**
 * Splits item indexes, in order, into calls of at most `maxCount` items and `maxBytes`
 * (an item larger than maxBytes on its own still gets a call of its own).
 */
export const chunkIndexes = (
  sizes: readonly number[],
  indexes: readonly number[],
  limits: { maxCount: number; maxBytes: number },
): number[][] => {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const index of indexes) {
    const size = sizes[index] ?? 0;
    if (current.length === limits.maxCount || (current.length > 0 && bytes + size > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
};
