/**
 * The wgsl engine's variant tests in full (test/unit/train/webgpu/variants.test.ts with
 * WGSL_FULL=1): adds the training step whose f16 gradients are pinned to f32 kernels that round
 * stored values as f16 does. Too slow for the default run on a cold Mesa shader cache (a third
 * plan of conv pipelines to compile on lavapipe), so it runs here.
 */
// A dynamic import: a static one would evaluate the test file before the variable is set.
process.env.WGSL_FULL = '1';
await import('../test/unit/train/webgpu/variants.test.js');

export {};
