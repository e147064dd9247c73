import { describe, expect, it } from 'vitest';
import { stratifiedSplit } from '../../../../src-main/service/training/split.js';

describe('stratified split', () => {
  const items = [
    ...Array.from({ length: 10 }, (_, i) => ({ id: i + 1, root: 7 })),
    ...Array.from({ length: 4 }, (_, i) => ({ id: 100 + i, root: 3 })),
    { id: 200, root: 9 },
    { id: 201, root: 11 },
  ];
  it('keeps single-example classes in training and puts every larger class on both sides', () => {
    const s = stratifiedSplit(items, 0.5, 1);
    expect(s.singletons).toBe(2);
    expect(s.train).toContain(200);
    expect(s.train).toContain(201);
    const val = new Set(s.val);
    expect(items.filter((i) => i.root === 7 && val.has(i.id)).length).toBe(5);
    expect(items.filter((i) => i.root === 3 && val.has(i.id)).length).toBe(2);
    expect([...s.train, ...s.val].sort((a, b) => a - b)).toEqual(items.map((i) => i.id).sort((a, b) => a - b));
  });
  it('is reproducible from its seed and changes with it', () => {
    expect(stratifiedSplit(items, 0.3, 5)).toEqual(stratifiedSplit(items, 0.3, 5));
    expect(stratifiedSplit(items, 0.5, 5).val).not.toEqual(stratifiedSplit(items, 0.5, 6).val);
  });
});
