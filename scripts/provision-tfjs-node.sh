#!/usr/bin/env bash
# -----------------------------------------------------------------------------
# provision-tfjs-node.sh PROJECT_DIR
#
# Copy of ../shared/tools/provision-tfjs-node.sh kept in the repository so CI
# on a clean clone can run it; here tfjs-node is an optionalDependency, which
# step 3 accepts (the original only looked at dependencies/devDependencies and
# would have moved it there).
#
# Makes @tensorflow/tfjs-node 4.22.0 (native 'tensorflow' backend) work OFFLINE.
#
# Normally `npm install @tensorflow/tfjs-node` runs scripts/install.js, which
#   1. downloads libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz from
#      storage.googleapis.com into node_modules/@tensorflow/tfjs-node/deps/, and
#   2. runs `node-pre-gyp install --fallback-to-build`, which first tries to
#      download a prebuilt tfjs_binding.node from storage.googleapis.com.
# Without internet step 1 dies with "getaddrinfo ENOTFOUND storage.googleapis.com".
#
# This script replaces the download with the TensorFlow C API shipped inside the
# tensorflow-cpu 2.21.0 Python wheel (from the local pip index):
#   - libtensorflow_cc.so.2        exports the TF_*/TFE_* C and eager C API
#                                  (TFE_NewContext, TFE_Execute, TF_Version ...)
#   - libtensorflow_framework.so.2 exports the rest (TF_NewStatus, TF_NewTensor ...)
#   - tensorflow/include/...       has the C headers the binding compiles against
# It stages them in the layout tfjs-node's binding.gyp expects (deps/include,
# deps/lib/libtensorflow.so, deps/lib/libtensorflow_framework.so), and compiles
# the addon from source with node-gyp against the locally installed Node headers.
#
# Nothing here needs the internet: npm registry (for the npm packages) and the
# local pip index (for the wheel) only.
#
# Environment knobs (all optional):
#   TF_WHEEL          path to tensorflow_cpu-2.21.0-*.whl (skips `pip download`)
#   TFJS_LIBTF_CACHE  where the extracted libs/headers are kept
#                     (default: PROJECT_DIR/.cache/libtensorflow-wheel-2.21.0)
#   NODE_HEADERS_DIR  dir containing include/node/node_api.h (default: auto,
#                     from the node binary's prefix, e.g. /usr)
#   LIBTF_COPY=1      copy the .so files into node_modules instead of symlinking
#                     to the cache (use if node_modules is cached/moved in CI)
#
# Requires: node + npm, python3 + pip (pip configured for the local index),
#           g++, make (node-gyp), binutils (nm, for a sanity check).
# -----------------------------------------------------------------------------
set -euo pipefail

PROJECT_DIR=${1:?usage: provision.sh PROJECT_DIR}
PROJECT_DIR=$(cd "$PROJECT_DIR" && pwd)
TFJS_NODE_VERSION=4.22.0
TF_WHEEL_VERSION=2.21.0
CACHE=${TFJS_LIBTF_CACHE:-$PROJECT_DIR/.cache/libtensorflow-wheel-$TF_WHEEL_VERSION}

log() { printf '[provision] %s\n' "$*" >&2; }

# --- 0. Node headers for node-gyp (it would otherwise download them) ----------
if [[ -z "${NODE_HEADERS_DIR:-}" ]]; then
  NODE_HEADERS_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
fi
if [[ ! -f "$NODE_HEADERS_DIR/include/node/node_api.h" || ! -f "$NODE_HEADERS_DIR/include/node/common.gypi" ]]; then
  log "no Node headers at $NODE_HEADERS_DIR/include/node (node_api.h, common.gypi); set NODE_HEADERS_DIR"
  exit 1
fi
log "node $(node -v), headers from $NODE_HEADERS_DIR/include/node"

# --- 1. Get the tensorflow-cpu wheel from the local pip index ------------------
mkdir -p "$CACHE"
if [[ -z "${TF_WHEEL:-}" ]]; then
  if ! ls "$CACHE"/wheel/tensorflow_cpu-"$TF_WHEEL_VERSION"-*.whl >/dev/null 2>&1; then
    log "pip download tensorflow-cpu==$TF_WHEEL_VERSION (local index)"
    # --retries 0: pypi.org is unreachable here; pip then falls through to the
    # local index in pip's configuration.
    python3 -m pip download --retries 0 --no-deps --only-binary=:all: \
      "tensorflow-cpu==$TF_WHEEL_VERSION" -d "$CACHE/wheel" >&2
  fi
  TF_WHEEL=$(ls "$CACHE"/wheel/tensorflow_cpu-"$TF_WHEEL_VERSION"-*.whl | head -n1)
fi
log "wheel: $TF_WHEEL"

# --- 2. Extract only the two shared libraries and the C API headers -----------
LIBTF="$CACHE/libtensorflow"
if [[ ! -f "$LIBTF/.complete" ]]; then
  log "extracting C API libraries + headers into $LIBTF"
  rm -rf "$LIBTF"
  python3 - "$TF_WHEEL" "$LIBTF" <<'PY'
import os, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
# Headers reached (g++ -M) from tensorflow/c/c_api.h and tensorflow/c/eager/c_api.h
# plus tensorflow/core/platform/ctstring_internal.h, which the binding includes.
hdr_prefixes = ('tensorflow/include/tensorflow/c/',
                'tensorflow/include/tensorflow/core/platform/ctstring',
                'tensorflow/include/tsl/platform/ctstring',
                'tensorflow/include/xla/tsl/c/')
with zipfile.ZipFile(whl) as z:
    for m in z.namelist():
        if m in libs:
            dst = os.path.join(out, 'lib', os.path.basename(m))
        elif m.startswith(hdr_prefixes) and m.endswith('.h'):
            dst = os.path.join(out, 'include', m[len('tensorflow/include/'):])
        else:
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(m) as src, open(dst, 'wb') as f:
            while True:
                b = src.read(1 << 24)
                if not b:
                    break
                f.write(b)
PY
  # Sanity check: the C API entry points the binding needs are exported.
  # (nm output goes to files first: `nm | grep -q` + pipefail = spurious SIGPIPE failure)
  nm -D --defined-only "$LIBTF/lib/libtensorflow_cc.so.2" > "$CACHE/cc.syms"
  nm -D --defined-only "$LIBTF/lib/libtensorflow_framework.so.2" > "$CACHE/fw.syms"
  for sym in TFE_NewContext TFE_Execute TFE_NewOp TF_Version TF_LoadSessionFromSavedModel; do
    grep -q " $sym@" "$CACHE/cc.syms" || { log "symbol $sym missing from libtensorflow_cc.so.2"; exit 1; }
  done
  grep -q ' TF_NewStatus$' "$CACHE/fw.syms" \
    || { log "symbol TF_NewStatus missing from libtensorflow_framework.so.2"; exit 1; }
  rm -f "$CACHE/cc.syms" "$CACHE/fw.syms"
  touch "$LIBTF/.complete"
fi

# --- 3. Install the npm packages WITHOUT running tfjs-node's install script ----
cd "$PROJECT_DIR"
[[ -f package.json ]] || npm init -y >/dev/null
if ! node -e "const p=require('./package.json');process.exit({...p.dependencies,...p.devDependencies,...p.optionalDependencies}['@tensorflow/tfjs-node']?0:1)"; then
  log "adding @tensorflow/tfjs-node@$TFJS_NODE_VERSION to package.json (--ignore-scripts)"
  npm install --ignore-scripts --no-audit --no-fund "@tensorflow/tfjs-node@$TFJS_NODE_VERSION" >&2
elif [[ ! -d node_modules/@tensorflow/tfjs-node ]]; then
  # npm ci dropped the optional package when its install script could not
  # download libtensorflow. Add it back alone: `npm ci --ignore-scripts` would
  # reinstall every package and skip the builds others need (better-sqlite3).
  log "npm install --no-save --ignore-scripts @tensorflow/tfjs-node@$TFJS_NODE_VERSION"
  npm install --no-save --ignore-scripts --no-audit --no-fund "@tensorflow/tfjs-node@$TFJS_NODE_VERSION" >&2
fi
TFJS="$PROJECT_DIR/node_modules/@tensorflow/tfjs-node"
[[ -f "$TFJS/binding.gyp" ]] || { log "tfjs-node not found in $TFJS"; exit 1; }
log "tfjs-node $(node -p "require('$TFJS/package.json').version") at $TFJS"

# --- 4. Stage deps/ exactly where binding.gyp / install.js look ----------------
#  binding.gyp: include_dirs deps/include; links -ltensorflow -ltensorflow_framework
#               from deps/lib; rpath $ORIGIN/../../deps/lib (relative to
#               lib/napi-vN/tfjs_binding.node).
#  install.js : skips the download iff deps/lib/libtensorflow.so.2.9.1 exists.
#  The linker records the SONAMEs (libtensorflow_cc.so.2, libtensorflow_framework.so.2),
#  so those names must exist in deps/lib at run time.
rm -rf "$TFJS/deps"
mkdir -p "$TFJS/deps/lib"
cp -r "$LIBTF/include" "$TFJS/deps/include"
for so in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
  if [[ "${LIBTF_COPY:-0}" == 1 ]]; then cp "$LIBTF/lib/$so" "$TFJS/deps/lib/$so"
  else ln -s "$LIBTF/lib/$so" "$TFJS/deps/lib/$so"; fi
done
ln -s libtensorflow_cc.so.2        "$TFJS/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$TFJS/deps/lib/libtensorflow_framework.so"
ln -s libtensorflow_cc.so.2        "$TFJS/deps/lib/libtensorflow.so.2.9.1"            # install.js marker
ln -s libtensorflow_framework.so.2 "$TFJS/deps/lib/libtensorflow_framework.so.2.9.1"

# A custom-binary.json with a "tf-lib" entry and no "addon" entry makes install.js
# call `node-pre-gyp install --build-from-source` instead of --fallback-to-build,
# so no attempt is made to fetch a prebuilt addon from storage.googleapis.com.
# (The URI itself is never fetched because deps/lib is already populated.)
printf '{\n  "tf-lib": "file://%s/libtensorflow-offline.tar.gz"\n}\n' "$LIBTF" \
  > "$TFJS/scripts/custom-binary.json"

# --- 5. Build the addon from source (runs tfjs-node's own install script) ------
log "building tfjs_binding.node from source with node-gyp"
rm -rf "$TFJS/lib" "$TFJS/build"
npm_config_nodedir="$NODE_HEADERS_DIR" \
  npm rebuild @tensorflow/tfjs-node --ignore-scripts=false --foreground-scripts >&2
ls "$TFJS"/lib/napi-v*/tfjs_binding.node >/dev/null 2>&1 \
  || { log "build failed: no lib/napi-v*/tfjs_binding.node"; exit 1; }

# --- 6. Verify: native backend loads and computes -----------------------------
TF_CPP_MIN_LOG_LEVEL=2 node -e "
const tf = require('@tensorflow/tfjs-node');
const b = tf.getBackend();
const v = tf.backend().binding.TF_Version;
const r = tf.tensor2d([[1,2],[3,4]]).matMul(tf.tensor2d([[1,0],[0,1]])).arraySync();
console.log('[provision] backend=' + b + ' TF_Version=' + v + ' matmul=' + JSON.stringify(r));
if (b !== 'tensorflow' || JSON.stringify(r) !== '[[1,2],[3,4]]') process.exit(1);
"
log "OK: @tensorflow/tfjs-node uses the native 'tensorflow' backend (libtensorflow from tensorflow-cpu $TF_WHEEL_VERSION wheel)"
