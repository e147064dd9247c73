#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs on a GPU machine that has no internet and no Node:
# this machine's Node binary, the built trainer (dist/main), the npm packages it loads (tfjs,
# tfjs-backend-webgpu, webgpu with dawn.node), the Vulkan loader .deb, and the bench scripts.
#   npm run build && bash bench/gpu/pack.sh   ->   bench/gpu/out/gpu-bench.tar.gz
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench/gpu/out
STAGE="$OUT/gpu-bench"
rm -rf "$STAGE" && mkdir -p "$STAGE/bench/gpu" "$STAGE/debs"
[ -f dist/main/train/webgpu/engine.js ] || { echo "run npm run build first" >&2; exit 1; }
cp "$(command -v node)" "$STAGE/node"
cp -r dist package.json "$STAGE/"
cp bench/wgsl-step.js bench/train-step.js bench/train_torch.py "$STAGE/bench/"
cp bench/gpu/run.sh bench/gpu/features.js "$STAGE/bench/gpu/"
# Only the packages the bench loads, with their dependencies.
npm ls --all --parseable --omit=dev @tensorflow/tfjs @tensorflow/tfjs-backend-webgpu webgpu 2>/dev/null |
  grep node_modules | while read -r dir; do
    rel="${dir#"$PWD/"}"
    mkdir -p "$STAGE/$(dirname "$rel")"
    cp -r "$dir" "$STAGE/$rel"
  done
# The Vulkan loader (libvulkan.so.1); the NVIDIA driver brings its own ICD.
(cd "$STAGE/debs" && apt-get download libvulkan1 >/dev/null 2>&1) || echo "warning: could not fetch libvulkan1 .deb" >&2
tar -C "$OUT" -czf "$OUT/gpu-bench.tar.gz" gpu-bench
du -h "$OUT/gpu-bench.tar.gz"
