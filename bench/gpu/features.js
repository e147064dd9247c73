// The adapter as Dawn shows it with and without the toggles the f16 / tensor-core variants need.
// Prints one JSON line per flag set: adapter info, features, subgroup sizes and matrix configs, key limits.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const SETS = [
  [],
  ['enable-dawn-features=allow_unsafe_apis'],
  ['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia'],
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
    console.log(
      JSON.stringify({
        flags,
        adapter: [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' '),
        fallback: i.isFallbackAdapter,
        subgroups: [i.subgroupMinSize, i.subgroupMaxSize],
        subgroupMatrixConfigs: i.subgroupMatrixConfigs ?? null,
        features: [...a.features].sort(),
        maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize,
        maxBufferSize: a.limits.maxBufferSize,
        maxComputeWorkgroupStorageSize: a.limits.maxComputeWorkgroupStorageSize,
      }),
    );
  } catch (err) {
    console.log(JSON.stringify({ flags, error: String(err) }));
  }
}
process.exit(0);
