// The adapter as Dawn shows it with and without the toggles the f16 / tensor-core variants need,
// and Dawn's null backend. Prints one JSON line per flag set: adapter info, whether it offers each
// feature the wgsl engine's variants use, the variant the engine would choose there, subgroup sizes,
// subgroup-matrix configurations, every feature, and the limits a plan depends on.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const TOGGLES = 'enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia';
const SETS = [[], ['enable-dawn-features=allow_unsafe_apis'], [TOGGLES], ['backend=null'], ['backend=null', TOGGLES]];
const WATCHED = ['shader-f16', 'subgroups', 'subgroup-size-control', 'chromium-experimental-subgroup-matrix'];
const LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
];
for (const flags of SETS) {
  try {
    const gpu = create(flags);
    const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!a) {
      console.log(JSON.stringify({ flags, error: 'no adapter' }));
      continue;
    }
    const i = a.info;
    const has = Object.fromEntries(WATCHED.map((f) => [f, a.features.has(f)]));
    // As device.ts chooses with GRAPHEME_WGSL_PRECISION unset (auto): everything offered.
    const variant = [has['shader-f16'] ? 'f16 activations, f32 math' : 'f32'];
    if (has.subgroups) variant.push('subgroup reductions');
    console.log(
      JSON.stringify({
        flags,
        adapter: [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' '),
        fallback: i.isFallbackAdapter,
        has,
        wgslVariant: variant.join(' + '),
        subgroupSizes: [i.subgroupMinSize, i.subgroupMaxSize],
        subgroupMatrixConfigs: i.subgroupMatrixConfigs ?? null,
        features: [...a.features].sort(),
        limits: Object.fromEntries(LIMITS.map((k) => [k, a.limits[k]])),
      }),
    );
  } catch (err) {
    console.log(JSON.stringify({ flags, error: String(err) }));
  }
}
process.exit(0);
