#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The WBAD-shaped robustness table on the synthetic phantom (issue #5, "Targets on the synthetic
# phantom"). Phantom difficulty and budgets are FIXED HERE, before any training, and not tuned
# on the results:
#   phantom: 80 patients, seed 21, noise 0.08 °C, lesion contrast 0.5 .. 2.5 °C, sick fraction 0.5
#   split:   by patient, val 0.15, test 0.25, seed 3 (the same for every model)
#   budgets: L-inf 0.1, 0.2, 0.4 °C (= 0.005, 0.01, 0.02 of the 20-40 °C range)
#   models:  undefended (denoise off), denoise only, adversarial training only (PGD-AT at
#            0.4 °C = eps 0.02), WBAD (denoise + the same PGD-AT)
#   attacks: FGSM, PGD-20 x 2 restarts (L-inf; and L2 at the default eps * sqrt(N) / 4), C&W
#            (fixed c = 1, 100 steps, unbounded), APGD 100 x 2 restarts with CE and with the
#            margin loss, Square 1000 queries; transfer from the undefended model, adaptive,
#            black-box. Verdicts at each model's calibrated threshold.
# Training recipe (the same for all four; chosen on the VALIDATION split, tests/bench/README.md):
#   global-max-pool CNN, Adam 3e-3 cosine, 60 epochs, no early stopping (the best validation-loss
#   epoch is kept), unweighted cross-entropy with the 0.5 threshold (the accuracy-optimal decision
#   for calibrated probabilities; balanced weights optimise balanced accuracy instead);
#   PGD-AT with a 20-epoch budget ramp (curriculum).
# usage: robustness_table.sh THERMOGUARD [WORKDIR]   (output: WORKDIR/table.txt and table.csv)
set -eu
tg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: the script changes into WORKDIR
work=${2:-$(mktemp -d /tmp/tg_robust_table_XXXXXX)}
mkdir -p "$work"
cd "$work"
"$tg" synth --out data --patients 80 --seed 21 --noise 0.08 --lesion-min 0.5 --lesion-max 2.5 >/dev/null
spec='conv(16,3,1,1)-bn-relu-maxpool(2)-conv(32,3,1,1)-bn-relu-maxpool(2)-conv(32,3,1,1)-bn-relu-maxpool(4)-dense(2)'
train() {
  out=$1
  shift
  "$tg" train data --out "$out" --grid 32 --spec "$spec" --epochs 60 --batch 16 --lr 3e-3 --patience 0 \
    --class-weights none --seed 3 --val 0.15 --test 0.25 --threads 2 --created 2026-01-01T00:00:00Z "$@" \
    >"${out%.tgm}.train.txt" 2>>train.log
}
train undefended.tgm --denoise off
train denoise.tgm --denoise on
train at.tgm --denoise off --defense pgd-at:eps=0.02,ramp=20
train wbad.tgm --denoise on --defense pgd-at:eps=0.02,ramp=20
set -- robustness data --model undefended=undefended.tgm --model denoise-only=denoise.tgm \
  --model AT-only=at.tgm --model WBAD=wbad.tgm --source undefended.tgm \
  --attacks fgsm,pgd,pgd-l2,cw,apgd,apgd-margin,square \
  --eps-c 0.1,0.2,0.4 --threats transfer,adaptive,black-box --threads 2
"$tg" "$@" --csv table.csv >table.txt
echo "thermoguard $*" >command.txt
cat table.txt
