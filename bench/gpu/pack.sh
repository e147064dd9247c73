#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs on a GPU machine that has no internet and no Node:
# this machine's Node binary, the built trainer (dist/main), the npm packages it loads (tfjs,
# tfjs-backend-webgpu, webgpu with dawn.node), the Vulkan loader .deb, and the bench scripts.
#   npm run build && bash bench/gpu/pack.sh   ->   .cache/gpu-bench/gpu-bench.tar.gz
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=.cache/gpu-bench
STAGE="$OUT/gpu-bench"
rm -rf "$STAGE" && mkdir -p "$STAGE/bench/gpu" "$STAGE/debs"
[ -f dist/main/train/webgpu/engine.js ] || { echo "run npm run build first" >&2; exit 1; }
cp "$(command -v node)" "$STAGE/node"
cp -r dist package.json "$STAGE/"
cp bench/wgsl-step.js bench/train-step.js bench/train_torch.py "$STAGE/bench/"
cp bench/gpu/run.sh bench/gpu/features.js "$STAGE/bench/gpu/"
# Only the packages the bench loads, with the closure of their dependencies (hoisted or nested).
node -e '
  const { existsSync, readFileSync } = require("node:fs");
  const { join, dirname } = require("node:path");
  const seen = new Set();
  const visit = (name, from) => {
    for (let dir = from; ; dir = dirname(dir)) {
      const pkg = join(dir, "node_modules", name);
      if (existsSync(join(pkg, "package.json"))) {
        if (seen.has(pkg)) return;
        seen.add(pkg);
        const deps = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).dependencies ?? {};
        for (const d of Object.keys(deps)) visit(d, pkg);
        return;
      }
      if (dir === dirname(dir)) return;
    }
  };
  for (const n of ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-webgpu", "webgpu"]) visit(n, process.cwd());
  console.log([...seen].map((p) => p.slice(process.cwd().length + 1)).join("\n"));
' | while read -r rel; do
  # A nested package came along with its parent already.
  [ -e "$STAGE/$rel" ] && continue
  mkdir -p "$STAGE/$(dirname "$rel")"
  cp -r "$rel" "$STAGE/$rel"
done
# dawn.node for Linux x64 only.
find "$STAGE/node_modules/webgpu/dist" -mindepth 1 -maxdepth 1 -type d ! -name linux-x64 -exec rm -rf {} +
# The Vulkan loader (libvulkan.so.1); the NVIDIA driver brings its own ICD.
(cd "$STAGE/debs" && apt-get download libvulkan1 >/dev/null 2>&1) || echo "warning: could not fetch libvulkan1 .deb" >&2
tar -C "$OUT" -czf "$OUT/gpu-bench.tar.gz" gpu-bench
du -h "$OUT/gpu-bench.tar.gz"
