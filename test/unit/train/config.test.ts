import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src-main/contract/envelope.js';
import { DEFAULT_CONFIG, resolveConfig } from '../../../src-main/train/config.js';
import { learningRate } from '../../../src-main/train/schedule.js';

const bad = (partial: object) => {
  try {
    resolveConfig(partial as never);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('bad_input');
    return (err as AppError).message;
  }
  throw new Error('expected the config to be rejected');
};

describe('training config', () => {
  it('defaults to ResNet-34 at 64x64', () => {
    expect(resolveConfig({})).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG.arch).toBe('resnet34');
  });
  it('names the problem', () => {
    expect(bad({ batch: 0 })).toContain('batch must be >= 1, got 0');
    expect(bad({ size: 3 })).toContain('size must be an integer in 32..512, got 3');
    expect(bad({ arch: 'resnet50' })).toContain('unknown arch "resnet50"');
    expect(bad({ engine: 'cuda' })).toContain('unknown engine "cuda"');
    expect(bad({ lr: 0 })).toContain('lr must be a number in (0, 10]');
    expect(bad({ epochs: 1.5 })).toContain('epochs must be an integer');
    expect(bad({ colour: 'red' })).toContain('unknown config field colour');
  });
  it("checks every field against the contract's schema, one message per field", () => {
    expect(bad({ batch: 0 })).toBe('Invalid training config: batch must be >= 1, got 0');
    expect(bad({ batch: 5000 })).toBe('Invalid training config: batch must be an integer in 1..4096, got 5000');
    expect(bad({ size: '64' })).toBe('Invalid training config: size must be an integer in 32..512, got "64"');
    expect(bad({ warmup: 1 })).toBe('Invalid training config: warmup must be a number in [0, 0.9], got 1');
    expect(bad({ seed: -1 })).toContain('seed must be an integer in 0..2147483647, got -1');
    expect(bad({ lossWeights: [1, -1, 1] })).toContain('lossWeights must be three numbers >= 0');
    expect(bad({ lossWeights: [1, 1] })).toContain('lossWeights must be three numbers >= 0');
    expect(bad({ augment: 'yes' })).toContain('augment must be true or false');
    expect(bad({ holdout: '' })).toContain('holdout must be a non-empty source prefix or null');
    expect(bad({ lr: 0, epochs: 0 })).toBe(
      'Invalid training config: epochs must be an integer in 1..10000, got 0; lr must be a number in (0, 10], got 0',
    );
    expect(resolveConfig({ holdout: 'scan0020', batch: 4096 })).toMatchObject({ holdout: 'scan0020', batch: 4096 });
  });
});

describe('learning-rate schedule', () => {
  it('warms up linearly to the peak, then decays by cosine to 1%', () => {
    const c = { lr: 0.01, warmup: 0.1 };
    expect(learningRate(0, 100, c)).toBeCloseTo(0.001, 12);
    expect(learningRate(9, 100, c)).toBeCloseTo(0.01, 12);
    expect(learningRate(10, 100, c)).toBeCloseTo(0.01, 12);
    expect(learningRate(100, 100, c)).toBeCloseTo(0.0001, 12);
    const mid = learningRate(55, 100, c);
    expect(mid).toBeGreaterThan(0.0001);
    expect(mid).toBeLessThan(0.01);
  });
});
