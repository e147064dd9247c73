#!/usr/bin/env bash
# Reproduces resources/pretrained/ARCH-64: pretraining on rendered graphemes, then the compact
# copy with its model card and zero-shot score. One CPU machine overnight (see src-main/train/README.md):
#   npm run build && bash scripts/pretrain.sh resnet18 [EPOCHS] [POOL]
# Ctrl-C stops at a checkpoint; running the same command again resumes it.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:-resnet34}
EPOCHS=${2:-20}
POOL=${3:-24000}
OUT=.cache/pretrain/${ARCH}-64
CLI="node bin/grapheme-studio.js"
if [ -f "$OUT/last/state.json" ]; then
  $CLI pretrain --out "$OUT" --resume
else
  $CLI pretrain --out "$OUT" --arch "$ARCH" --size 64 --pool "$POOL" --epochs "$EPOCHS" --batch 64 --lr 0.002 --seed 1
fi
$CLI pack-pretrained --from "$OUT" --out "resources/pretrained/${ARCH}-64" \
  --command "npm run build && bash scripts/pretrain.sh ${ARCH} ${EPOCHS} ${POOL}"
