#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# thermoguard train / eval end to end on a small synthetic collection: text and JSON agree,
# same seed + one thread -> identical model files, bad input -> clear error and exit status,
# the shipped demo model evaluates. usage: cli_train_eval.sh THERMOGUARD DEMO_MODEL
set -eu
tg=$1
demo=$2
dir=$(mktemp -d /tmp/tg_cli_train_XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*"; exit 1; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {'d': d}))" "$@"; }

"$tg" synth --out data --patients 12 --seed 5 >/dev/null || fail "synth"
spec='conv(4,3,1,1)-bn-relu-maxpool(2)-conv(8,3,1,1)-bn-relu-gap-dense(2)'
train() {
  "$tg" train data --grid 16 --spec "$spec" --epochs 3 --batch 8 --threads 1 --seed 9 --val 0.25 --test 0.25 \
    --created 2026-01-01T00:00:00Z "$@"
}
train --out a.tgm --json >a.json 2>a.err || { cat a.err; fail "train a"; }
grep -q "^defense: none" a.err || fail "train prints the defense"
grep -q '^epoch 3/3 ' a.err || fail "plain per-epoch progress lines when not on a terminal"
[ "$(json a.json "d['command']")" = train ] || fail "train JSON command"
[ "$(json a.json "d['synthetic']")" = True ] || fail "phantom data marks the model synthetic"
[ "$(json a.json "len(d['epochs'])")" = 3 ] || fail "per-epoch stats"
[ "$(json a.json "d['model']['defense']")" = none ] || fail "defense in JSON"
json a.json "d['test']['breast']['accuracy']" >/dev/null || fail "test metrics in JSON"
[ "$(json a.json "len(d['model']['data_sha256'])")" = 64 ] || fail "data hash"

# Determinism: same seed, one thread, same --created -> byte-identical files.
train --out b.tgm >/dev/null 2>&1 || fail "train b"
cmp -s a.tgm b.tgm || fail "two trainings with the same seed and --threads 1 differ"
train --out c.tgm --seed 10 >/dev/null 2>&1 || fail "train c"
cmp -s a.tgm c.tgm && fail "another seed must give another model"

# --init: starts from a model's weights and BN statistics (warm start), named in the provenance;
# a model with another network is refused with a usage error.
train --out w.tgm --init a.tgm --epochs 1 --lr 1e-12 --augment off --json >w.json 2>w.err || { cat w.err; fail "train --init"; }
grep -q "weights and BN statistics from a.tgm" w.err || fail "--init says where the weights come from"
json w.json "d['model']['defense_settings']" | grep -q "init from model sha256 $(sha256sum a.tgm | cut -d' ' -f1)" ||
  fail "--init in the provenance"
"$tg" eval a.tgm data --json >ea.json 2>/dev/null && "$tg" eval w.tgm data --json >ew.json 2>/dev/null || fail "eval a/w"
python3 - ea.json ew.json <<'PY' || fail "a model warm-started with lr 1e-12 must score like its source"
import json, sys
a, w = (json.load(open(f))['breast'] for f in sys.argv[1:3])
# one epoch only moves the BN running statistics (momentum 0.1 towards the same data)
assert abs(a['auc'] - w['auc']) < 0.05 and abs(a['accuracy'] - w['accuracy']) < 0.1, (a, w)
PY
set +e
train --out x.tgm --init a.tgm --spec 'conv(4,3,1,1)-relu-gap-dense(2)' >/dev/null 2>err; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "differs" err || fail "--init with another network: rc $rc $(cat err)"
# --keep last: the final epoch's weights, whatever validation says; a bad value is a usage error
train --out k.tgm --keep last --json >k.json 2>/dev/null || fail "train --keep last"
[ "$(json k.json "d['best_epoch']")" = 3 ] || fail "--keep last keeps epoch 3 of 3"
set +e
train --out x.tgm --keep worst >/dev/null 2>err; rc=$?
set -e
[ $rc -eq 2 ] || fail "--keep worst: rc $rc"

# eval: text and JSON agree; synthetic is said everywhere.
"$tg" eval a.tgm data >e.txt 2>e.err || { cat e.err; fail "eval"; }
"$tg" eval a.tgm data --json >e.json 2>/dev/null || fail "eval --json"
grep -q 'SYNTHETIC' e.txt || fail "text output says synthetic"
[ "$(json e.json "d['synthetic']")" = True ] || fail "JSON says synthetic"
acc=$(json e.json "'%.4f' % d['breast']['accuracy']")
grep -q "accuracy $acc " e.txt || fail "breast accuracy $acc in JSON but not in text"
n=$(json e.json "d['breast']['n']")
[ "$n" = 48 ] || fail "12 patients x (2 frontal + 2 lateral) breasts = 48, got $n"
[ "$(json e.json "d['patient']['n']")" = 12 ] || fail "patient level n"
[ "$(json e.json "sum(g['n'] for g in d['groups'])")" = 48 ] || fail "groups cover every breast"
[ "$(json e.json "d['model']['sha256']")" = "$(sha256sum a.tgm | cut -d' ' -f1)" ] || fail "model hash"
"$tg" eval a.tgm data --json --group-by patient --threshold 0.3 >p.json 2>/dev/null || fail "eval --group-by patient"
[ "$(json p.json "len(d['groups'])")" = 12 ] || fail "one group per patient"
[ "$(json p.json "d['threshold']")" = 0.3 ] || fail "--threshold"

# Bad input: clear message, exit 1 for runtime failures, 2 for usage.
set +e
"$tg" eval a.tgm nowhere >/dev/null 2>err; rc=$?
[ $rc -eq 1 ] && grep -q 'views.csv' err || fail "missing views.csv: rc $rc $(cat err)"
cp -r data broken && rm broken/SYN-00003/frontal.txt
"$tg" train broken --out x.tgm >/dev/null 2>err; rc=$?
[ $rc -eq 1 ] && grep -q 'SYN-00003/frontal.txt' err || fail "missing listed file: rc $rc $(cat err)"
cp a.tgm bad.tgm && printf 'X' | dd of=bad.tgm bs=1 seek=200 conv=notrunc 2>/dev/null
"$tg" eval bad.tgm data >/dev/null 2>err; rc=$?
[ $rc -eq 1 ] && grep -q "bad.tgm" err && grep -q 'corrupt' err || fail "corrupt model: rc $rc $(cat err)"
"$tg" train data --out y.tgm --epochs 0 >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] && grep -q 'epochs' err || fail "bad option value: rc $rc $(cat err)"
"$tg" train data >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] && grep -q -- '--out' err || fail "missing --out: rc $rc"
"$tg" eval a.tgm >/dev/null 2>&1; [ $? -eq 2 ] || fail "eval without DIR"
"$tg" eval a.tgm data --group-by nonsense >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --group-by"
set -e

# Adversarial training (WBAD stage 2) through --defense; its settings reach the model file.
train --out at.tgm --json --defense pgd-at:eps=0.01,steps=2 >at.json 2>at.err || { cat at.err; fail "train pgd-at"; }
[ "$(json at.json "d['model']['defense']")" = pgd-at ] || fail "defense name in the JSON"
grep -q "eps=0.01 (0.2 °C)" at.err || fail "defense settings in °C"
"$tg" eval at.tgm data 2>/dev/null | grep -q "defense pgd-at" || fail "eval shows the defense"
set +e
train --out x.tgm --defense bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown defense must exit 2"
train --out x.tgm --defense pgd-at:eps=7 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad defense value must exit 2"
set -e

# The shipped demo model loads and evaluates (on its own grid, from its model file).
"$tg" eval "$demo" data >d.txt 2>d.err || { cat d.err; fail "demo model eval"; }
grep -q 'synthetic' d.txt || fail "demo model output says synthetic"
echo "cli train/eval: ok"
