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
#   attacks: FGSM, PGD-20 x 2 restarts, C&W (fixed c = 1, 100 steps, unbounded), APGD-CE 100,
#            Square 1000 queries; transfer from the undefended model, adaptive, black-box.
# usage: robustness_table.sh THERMOGUARD [WORKDIR]   (output: WORKDIR/table.txt and table.csv)
set -eu
tg=$1
work=${2:-$(mktemp -d /tmp/tg_robust_table_XXXXXX)}
mkdir -p "$work"
cd "$work"
"$tg" synth --out data --patients 80 --seed 21 --noise 0.08 --lesion-min 0.5 --lesion-max 2.5 >/dev/null
spec='conv(8,3,1,1)-bn-relu-maxpool(2)-conv(16,3,1,1)-bn-relu-maxpool(2)-conv(32,3,1,1)-bn-relu-gap-dense(2)'
train() {
  "$tg" train data --grid 32 --spec "$spec" --epochs 30 --batch 16 --seed 3 --val 0.15 --test 0.25 --threads 2 \
    --created 2026-01-01T00:00:00Z "$@" >/dev/null 2>>train.log
}
train --out undefended.tgm --denoise off
train --out denoise.tgm --denoise on
train --out at.tgm --denoise off --defense pgd-at:eps=0.02
train --out wbad.tgm --denoise on --defense pgd-at:eps=0.02
set -- robustness data --model undefended=undefended.tgm --model denoise-only=denoise.tgm \
  --model AT-only=at.tgm --model WBAD=wbad.tgm --source undefended.tgm --attacks fgsm,pgd,cw,apgd,square \
  --eps-c 0.1,0.2,0.4 --threats transfer,adaptive,black-box --threads 2
"$tg" "$@" --csv table.csv >table.txt
echo "thermoguard $*" >command.txt
cat table.txt
