#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Rebuilds the shipped demo model testdata/models/demo.tgm from the synthetic phantom:
# synth (fixed seed) -> train (fixed seed, one OpenBLAS thread, fixed provenance date).
# SYNTHETIC — not for clinical use. Same machine + same build -> the same file; OpenBLAS picks
# CPU-specific kernels, so another CPU may give slightly different weights.
# usage: packaging/make-demo-model.sh [THERMOGUARD] [OUT.tgm]
set -eu
tg=${1:-build/plugin/cli/thermoguard}
out=${2:-testdata/models/demo.tgm}
work=$(mktemp -d /tmp/tg_demo_model_XXXXXX)
trap 'rm -rf "$work"' EXIT
"$tg" synth --out "$work/data" --patients 80 --seed 2026 --lesion-min 1 --lesion-max 3
"$tg" train "$work/data" --out "$out" --name "thermoguard-demo" --grid 32 \
  --spec "conv(16,3,1,1)-bn-relu-maxpool(2)-conv(16,3,1,1)-bn-relu-maxpool(2)-conv(16,3,1,1)-bn-relu-gap-dense(2)" \
  --epochs 60 --batch 16 --lr 1e-2 --patience 0 --seed 1 --threads 1 \
  --created 2026-01-01T00:00:00Z \
  --notes "demo model for tests and the quick start; packaging/make-demo-model.sh"
