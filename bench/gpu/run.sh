#!/usr/bin/env bash
# On a GPU machine (an NVIDIA H200, PyTorch with CUDA, no internet, no Node), from the unpacked
# bundle of bench/gpu/pack.sh:   tar xzf gpu-bench.tar.gz && cd gpu-bench && bash bench/gpu/run.sh
# Prints, in one run and in about 10 minutes: the adapter's features with and without the toggles;
# host time per step on Dawn's null backend and on Vulkan; images/s of the wgsl engine (f32 and the
# variant it picks; every variant with the toggles), of tfjs-webgpu and of PyTorch CUDA for ResNet-34
# at 64x64 and 128x128, batch 256.
set -u
cd "$(dirname "$0")/../.."
NODE=./node
[ -x "$NODE" ] || NODE=node
# The Vulkan loader from the bundle when the system has none.
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  for deb in debs/*.deb; do [ -f "$deb" ] && dpkg-deb -x "$deb" vulkan-root; done
  export LD_LIBRARY_PATH="$PWD/vulkan-root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | sed 's/^/vulkan icd: /'
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
export TF_CPP_MIN_LOG_LEVEL=2
step() { echo "== $*"; timeout "${STEP_TIMEOUT:-150}" "$@" 2>&1 | grep -v '^Warning: max' | tail -n 3; }

# Adapter features with and without the toggles (and on the null backend): shader-f16, subgroups,
# subgroup-matrix, subgroup sizes, limits, and the variant the wgsl engine would choose.
step "$NODE" bench/gpu/features.js
TOGGLES=enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia
step "$NODE" bench/wgsl-step.js --backend null --size 64 --batch 256 --steps 5 --variants "f32 f16 subgroups f16,subgroups" --one-at-a-time
for size in 64 128; do
  # f32 (the reference) and what the engine picks by itself, steps interleaved in one process.
  step "$NODE" bench/wgsl-step.js --backend vulkan --size "$size" --batch 256 --steps 10 --variants "f32 auto"
  step python3 bench/train_torch.py --device cuda --size "$size" --batch 256 --steps 20
  step "$NODE" bench/train-step.js webgpu --size "$size" --batch 256 --steps 3 --warmup 1
done
# With the toggles: Dawn offers shader-f16 on NVIDIA's Vulkan driver only with vulkan_enable_f16_on_nvidia,
# so this is where the f16 variant can run on an NVIDIA GPU; every variant, side by side.
step "$NODE" bench/wgsl-step.js --backend vulkan --flags "$TOGGLES" --size 64 --batch 256 --steps 10 --variants "f32 f16 subgroups f16,subgroups"
