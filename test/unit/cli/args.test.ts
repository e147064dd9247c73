/** The CLI's option readers: one integer check for every command (train's and pretrain's flags). */
import { describe, expect, it } from 'vitest';
import { num, UsageError } from '../../../src-main/cli/args.js';

describe('num', () => {
  it('reads a number, and is undefined when the flag is absent', () => {
    expect(num({ lr: '0.002' }, 'lr', false)).toBe(0.002);
    expect(num({}, 'lr', false)).toBeUndefined();
    expect(num({ seed: '0' }, 'seed', true, 0)).toBe(0);
  });

  it('refuses what is not an integer, or below the minimum, naming the flag', () => {
    expect(() => num({ epochs: '1.5' }, 'epochs', true)).toThrow('--epochs must be an integer, got "1.5"');
    expect(() => num({ batch: '0' }, 'batch', true, 1)).toThrow('--batch must be an integer >= 1, got "0"');
    expect(() => num({ seed: '' }, 'seed', true, 0)).toThrow(UsageError);
    expect(() => num({ size: 'big' }, 'size', false)).toThrow('--size must be a number, got "big"');
  });
});
