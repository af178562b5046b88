#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Issue #7's ordering check with real trained models: on held-out synthetic studies, an audit of
# the undefended model must flip a large share of verdicts, and an audit of the WBAD model
# (denoiser + PGD adversarial training) a clearly smaller share. Models are trained here with the
# recipe and phantom of tests/bench/robustness_table_frontal.sh (frontal view, lesions 1-3 °C,
# 120 patients, seed 22; WBAD = PGD-AT at 0.1 °C with a 30-epoch ramp), and audited with FGSM and
# PGD-20 at 0.1 °C, adaptive threat (through the whole deployed pipeline, denoiser included), on
# 12 new patients (seed 99). SYNTHETIC. Expected (tests/bench/robustness_frontal.md): undefended
# ~100 % flipped, WBAD ~25 %.
# usage: cli_audit_ordering.sh THERMOGUARD
set -eu
tg=$1
dir=$(mktemp -d /tmp/tg_cli_audit_order_XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*"; exit 1; }

"$tg" synth --out data --patients 120 --seed 22 --views frontal --noise 0.08 --lesion-min 1.0 --lesion-max 3.0 \
  --sick-fraction 0.5 >/dev/null || fail "synth (training)"
"$tg" synth --out heldout --patients 12 --seed 99 --views frontal --noise 0.08 --lesion-min 1.0 --lesion-max 3.0 \
  --sick-fraction 0.5 >/dev/null || fail "synth (held out)"
spec='conv(16,3,1,1)-bn-relu-maxpool(2)-conv(32,3,1,1)-bn-relu-maxpool(2)-conv(32,3,1,1)-bn-relu-maxpool(4)-dense(2)'
train() {
  out=$1
  shift
  "$tg" train data --out "$out" --grid 32 --spec "$spec" --epochs 60 --batch 16 --lr 3e-3 --patience 0 \
    --class-weights none --seed 3 --val 0.15 --test 0.25 --threads 2 --created 2026-01-01T00:00:00Z "$@" \
    >/dev/null 2>train.err || { cat train.err; fail "train $out"; }
}
train undefended.tgm --denoise off
train wbad.tgm --denoise on --defense pgd-at:eps=0.005,step=0.0018,ramp=30

flips() { # MODEL -> "k n" of verdicts flipped by FGSM or PGD-20 at 0.1 °C, adaptive
  "$tg" audit "$1" heldout --out "out-${1%.tgm}" --attacks fgsm,pgd-20 --eps-c 0.1 --threats adaptive \
    --threads 2 --json 2>audit.err >"${1%.tgm}.json" || { cat audit.err; fail "audit $1"; }
  python3 -c "import json,sys; f=json.load(open(sys.argv[1]))['flipped_whole_suite_max_budget']['adaptive']; print(f['k'], f['n'])" \
    "${1%.tgm}.json"
}
set -- $(flips undefended.tgm) $(flips wbad.tgm)
echo "flipped at 0.1 °C (adaptive FGSM+PGD-20): undefended $1/$2, WBAD $3/$4 (SYNTHETIC)"
[ "$2" -ge 20 ] && [ "$2" = "$4" ] || fail "expected the same >= 20 held-out breasts in both audits, got $2 and $4"
# large flip rate for the fragile pipeline: at least 80 %
[ $(( 100 * $1 )) -ge $(( 80 * $2 )) ] || fail "undefended model flipped only $1/$2"
# the WBAD model: at least 30 points fewer flips
[ $(( 100 * ($1 - $3) )) -ge $(( 30 * $2 )) ] || fail "WBAD flipped $3/$4, not clearly fewer than undefended $1/$2"
echo "cli_audit_ordering: ok"
