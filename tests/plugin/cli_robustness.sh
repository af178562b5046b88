#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# thermoguard robustness end to end on a tiny synthetic collection: two tiny models (undefended;
# denoise + PGD-AT), FGSM + PGD + Square at two budgets under all three threat models. Checks the
# JSON structure, JSON = CSV, accuracy invariants (robust <= clean, PGD robust accuracy not rising
# with eps), "synthetic" labels, °C and normalised budgets, APGD with the margin loss and PGD-L2,
# verdicts at the model's calibrated threshold (= eval's), and usage/runtime errors.
# usage: cli_robustness.sh THERMOGUARD
set -eu
tg=$1
dir=$(mktemp -d /tmp/tg_cli_robust_XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*"; exit 1; }

"$tg" synth --out data --patients 12 --seed 5 >/dev/null || fail "synth"
spec='conv(4,3,1,1)-relu-maxpool(2)-conv(8,3,1,1)-relu-gap-dense(2)'
train() {
  "$tg" train data --grid 16 --spec "$spec" --epochs 3 --batch 8 --threads 1 --seed 9 --val 0.25 --test 0.25 \
    --created 2026-01-01T00:00:00Z "$@" >/dev/null 2>train.err || { cat train.err; fail "train $*"; }
}
train --out plain.tgm --denoise off
train --out wbad.tgm --denoise on --defense pgd-at:eps=0.01,steps=2

run() { "$tg" robustness data --model plain=plain.tgm --model wbad=wbad.tgm --attacks fgsm,pgd,square \
  --eps-c 1,4 --threats transfer,adaptive,black-box --pgd-steps 10 --restarts 2 --queries 100 --threads 1 "$@"; }
run --json --csv cells.csv >r.json 2>r.err || { cat r.err; fail "robustness --json"; }
run >r.txt 2>/dev/null || fail "robustness text"

python3 - r.json cells.csv <<'PY' || fail "JSON/CSV checks"
import csv, json, sys
d = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
assert d["command"] == "robustness" and d["synthetic"] is True, d["note"]
assert "SYNTHETIC" in d["note"]
assert d["split"]["kind"] == "test" and d["split"]["seed"] == 9 and d["split"]["test"] == 0.25
assert d["budget_unit"] == "celsius" and d["budgets"] == [1, 4]
assert [m["name"] for m in d["models"]] == ["plain", "wbad"]
assert d["models"][1]["denoise"] and d["models"][1]["defense"] == "pgd-at"
assert d["source"]["file"] == "plain.tgm" and not d["source"]["denoise"]
cells = d["cells"]
# fgsm, pgd: transfer + adaptive; square: transfer + black-box; x 2 budgets x 2 models
assert len(cells) == 2 * 3 * 2 * 2, len(cells)
assert len(rows) == len(cells)
keys = lambda c: (c["model"], c["attack"], c["threat"])
for c, r in zip(cells, rows):
    assert (r["model"], r["attack"], r["threat"]) == keys(c)
    for k in ("clean_acc", "robust_acc", "success_rate", "eps", "eps_c"):
        assert abs(float(r[k]) - c[k]) < 1e-6, (k, r[k], c[k])
    for k in ("n", "clean_correct", "robust_correct", "flipped", "grad_evals", "queries"):
        assert int(r[k]) == c[k], k
    assert r["synthetic"] == "1"
    assert c["n"] > 0 and c["robust_acc"] <= c["clean_acc"] + 1e-12, c
    assert c["clean_correct"] == c["robust_correct"] + c["flipped"], c
    if c["clean_correct"]:
        assert abs(c["success_rate"] - c["flipped"] / c["clean_correct"]) < 1e-12
    assert abs(c["eps_c"] - 1) < 1e-9 or abs(c["eps_c"] - 4) < 1e-9, c["eps_c"]
    assert abs(c["eps"] * 20 - c["eps_c"]) < 1e-9, "20-40 °C range: 20 °C per unit"
    assert (c["threat"] == "black-box") == (c["attack"] == "square" and c["threat"] != "transfer")
    if c["threat"] == "black-box":
        assert c["grad_evals"] == 0 and 0 < c["queries"] <= 100 * c["n"]
    if c["flipped"]:
        assert 0 < c["median_linf_c"] <= c["eps_c"] * (1 + 1e-5) + 1e-6, c
# the attacks bite: PGD at 4 °C flips the undefended model
assert any(c["flipped"] for c in cells if keys(c) == ("plain", "pgd", "adaptive")), "no flips: test too weak"
# the same model has one clean accuracy
for m in ("plain", "wbad"):
    assert len({c["clean_acc"] for c in cells if c["model"] == m}) == 1
# PGD with a fixed seed and restarts: a larger budget never raises robust accuracy
for m in ("plain", "wbad"):
    for t in ("transfer", "adaptive"):
        acc = [c["robust_acc"] for c in cells if keys(c) == (m, "pgd", t)]
        assert acc[0] >= acc[1], (m, t, acc)
# transfer from the undefended model onto itself is the adaptive attack
for a in ("fgsm", "pgd"):
    for e in (1, 4):
        t, ad = [c for c in cells if keys(c)[:2] == ("plain", a) and abs(c["eps_c"] - e) < 1e-9 and c["threat"] != "black-box"]
        assert t["robust_correct"] == ad["robust_correct"], (a, e, t, ad)
PY
grep -q 'SYNTHETIC' r.txt || fail "text says synthetic"
grep -q 'held-out test patients' r.txt || fail "text names the split"
grep -q '4 °C = 0.2 ' r.txt || fail "budgets in °C and normalised units"
grep -q 'accuracy vs budget' r.txt || fail "accuracy-vs-budget rows"

# Normalised budgets, --split all, --limit, C&W unbounded
"$tg" robustness data --model plain=plain.tgm --attacks fgsm,cw --cw-steps 20 --eps 0.01 --threats adaptive \
  --split all --limit 10 --json >n.json 2>/dev/null || fail "--eps/--split all/--limit"
python3 - n.json <<'PY' || fail "normalised budgets"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["split"]["kind"] == "all" and d["split"]["n"] == 10 and d["budget_unit"] == "normalised"
f, cw = d["cells"]
assert f["attack"] == "fgsm" and abs(f["eps"] - 0.01) < 1e-12 and abs(f["eps_c"] - 0.2) < 1e-9
assert cw["attack"] == "cw" and cw["eps"] is None and cw["n"] == 10
PY

# APGD with the margin loss and PGD-L2 (default L2 budget eps * sqrt(2*16*16) / 4, or --eps-l2-c)
"$tg" robustness data --model plain=plain.tgm --attacks apgd-margin,pgd-l2 --eps-c 1,4 --threats adaptive \
  --apgd-steps 20 --pgd-steps 10 --restarts 1 --threads 1 --json >m.json 2>/dev/null || fail "apgd-margin/pgd-l2"
"$tg" robustness data --model plain=plain.tgm --attacks pgd-l2 --eps-c 1,4 --eps-l2-c 3,12 --threats adaptive \
  --pgd-steps 10 --restarts 1 --threads 1 --json >l.json 2>/dev/null || fail "--eps-l2-c"
python3 - m.json l.json <<'PY' || fail "apgd-margin / pgd-l2 checks"
import json, math, sys
d, l = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
att = {(c["attack"], c["eps_c"]): c for c in d["cells"]}
assert sorted({c["attack"] for c in d["cells"]}) == ["apgd-margin", "pgd-l2"], att.keys()
assert {a["name"]: "margin" in a["settings"] for a in d["attacks"]} == {"apgd-margin": True, "pgd-l2": False}
for c in d["cells"]:
    assert c["norm"] == ("l2" if c["attack"] == "pgd-l2" else "linf"), c
    assert c["robust_acc"] <= c["clean_acc"] and c["clean_correct"] == c["robust_correct"] + c["flipped"], c
    if c["attack"] == "pgd-l2":
        assert any(abs(c["eps_c"] / (e * math.sqrt(2 * 16 * 16) / 4) - 1) < 1e-5 for e in (1, 4)), c["eps_c"]
        if c["flipped"]:
            assert c["median_l2_c"] <= c["eps_c"] * (1 + 1e-5), c
    else:
        assert c["eps_c"] in (1, 4) and (not c["flipped"] or c["median_linf_c"] <= c["eps_c"] * (1 + 1e-5)), c
big = [c for c in d["cells"] if c["eps_c"] > (20 if c["norm"] == "l2" else 3.9)]
assert all(c["flipped"] > 0 for c in big), "the attacks bite at the large budget: %s" % big
l2 = [c["eps_c"] for c in l["cells"]]
assert l2 == [3, 12] and all(c["norm"] == "l2" for c in l["cells"]), l2
PY

# Verdicts use the model's calibrated threshold, as eval does: retrain the plain model (same
# seed, same weights) with a threshold at which eval's accuracy differs from the argmax one;
# robustness --split all must report eval's clean accuracy.
acc() { "$tg" eval "$1" data --json ${2:+--threshold $2} 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["breast"]["accuracy"])'; }
a50=$(acc plain.tgm 0.5)
thr=""
for t in 0.2 0.3 0.35 0.4 0.42 0.44 0.46 0.48 0.52 0.54 0.56 0.58 0.6 0.65 0.7 0.8; do
  [ "$(acc plain.tgm $t)" != "$a50" ] && { thr=$t; break; }
done
[ -n "$thr" ] || fail "fixture: every threshold gives eval accuracy $a50"
train --out thr.tgm --denoise off --threshold "$thr"
athr=$(acc thr.tgm)
"$tg" robustness data --model thr=thr.tgm --attacks fgsm --eps-c 1 --threats adaptive --split all --threads 1 \
  --json >t.json 2>/dev/null || fail "robustness with a calibrated threshold"
python3 - t.json "$thr" "$athr" "$a50" <<'PY' || fail "robustness clean accuracy = eval's at the model threshold"
import json, sys
d, thr, athr, a50 = json.load(open(sys.argv[1])), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
assert abs(d["models"][0]["threshold"] - thr) < 1e-12, d["models"][0]
c = d["cells"][0]
assert abs(c["clean_acc"] - athr) < 1e-5 and abs(c["clean_acc"] - a50) > 1e-5, (c["clean_acc"], athr, a50)
PY
grep -q 'verdict: sick when P(sick) >= ' r.txt || fail "text states the decision rule"

# Errors: usage 2, runtime 1.
set +e
"$tg" robustness data >/dev/null 2>err; [ $? -eq 2 ] || fail "no --model must exit 2"
"$tg" robustness data --model plain=plain.tgm --attacks nope >/dev/null 2>err; [ $? -eq 2 ] || fail "bad attack"
"$tg" robustness data --model plain=plain.tgm --threats sideways >/dev/null 2>err; [ $? -eq 2 ] || fail "bad threat"
"$tg" robustness data --model plain=plain.tgm --eps-c -1 >/dev/null 2>err; [ $? -eq 2 ] || fail "negative eps"
"$tg" robustness data --model plain=plain.tgm --eps 0.1 --eps-c 1 >/dev/null 2>err; [ $? -eq 2 ] || fail "both units"
"$tg" robustness data --model plain=plain.tgm --eps-c 1,2 --eps-l2-c 3 >/dev/null 2>err; [ $? -eq 2 ] || fail "L2 list length"
"$tg" robustness data --model noequals >/dev/null 2>err; [ $? -eq 2 ] || fail "--model without NAME="
"$tg" robustness data --model plain=missing.tgm >/dev/null 2>err; rc=$?
[ $rc -eq 1 ] && grep -q 'missing.tgm' err || fail "missing model: rc $rc $(cat err)"
"$tg" robustness nowhere --model plain=plain.tgm >/dev/null 2>err; rc=$?
[ $rc -eq 1 ] && grep -q 'views.csv' err || fail "missing data: rc $rc $(cat err)"
train --out other.tgm --seed 3
"$tg" robustness data --model plain=plain.tgm --model other=other.tgm --attacks fgsm >/dev/null 2>err; rc=$?
[ $rc -eq 1 ] && grep -q 'different patient splits' err || fail "different splits: rc $rc $(cat err)"
set -e
echo "cli_robustness: ok"
