#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# thermoguard synth --dicom -> thermoguard analyze --model -> the SR passes dciodvfy, and its
# per-breast probabilities equal what node_model_helper predicts for the same files (the node test
# checks the node against the same helper). Also: an unusable file among good ones is reported and
# skipped; a missing model file fails.
# usage: cli_analyze_model.sh THERMOGUARD NODE_MODEL_HELPER MODEL.tgm PYTHON_TEST_DIR
set -eu
tg=$1
helper=$2
model=$3
pydir=$4
dir=$(mktemp -d /tmp/tg_cli_analyze_XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*"; exit 1; }

"$tg" synth --out d --patients 1 --views frontal,lateral-left,lateral-right --dicom >/dev/null || fail "synth --dicom"
set -- d/SYN-00000/frontal.dcm d/SYN-00000/lateral-left.dcm d/SYN-00000/lateral-right.dcm
for f in "$@"; do [ -f "$f" ] || fail "synth did not write $f"; done

"$tg" analyze --model "$model" --sr sr.dcm --json "$@" > res.json || fail "analyze --model --json"
"$tg" analyze --model "$model" --sr sr_text.dcm "$@" > res.txt || fail "analyze --model"
n=$(dciodvfy sr.dcm 2>&1 | grep -c Error || true)
[ "$n" -eq 0 ] || { dciodvfy sr.dcm; fail "dciodvfy errors in the model SR"; }
n=$(dcentvfy "$@" sr.dcm 2>&1 | grep -c Error || true)
[ "$n" -eq 0 ] || { dcentvfy "$@" sr.dcm; fail "dcentvfy errors"; }

"$helper" predict "$model" "$@" > expected.txt || fail "node_model_helper predict"
expect=$(/usr/bin/python3 - res.json expected.txt res.txt <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
prob = {}
for line in filter(None, open(sys.argv[2]).read().split("\n")):
    side, p, _ = line.split()
    prob[side] = max(prob.get(side, 0.0), float(p))
got = {b["Laterality" if "Laterality" in b else "laterality"]: b for b in res["breasts"]}
assert set(got) == set(prob) == {"L", "R"}, (got, prob)
for side in prob:
    assert abs(got[side]["probability"] - prob[side]) < 1e-6, (side, got[side], prob[side])
assert abs(res["probability"] - max(prob.values())) < 1e-6, res
assert res["placeholder"] is False and res["detector_run"] is True, res
assert res["suspicious"] == (res["probability"] >= res["threshold"]), res
assert res["instances_used"] == 3 and res["instances_rejected"] == [], res
text = open(sys.argv[3], encoding="utf-8").read()
if res["model"]["synthetic"]:
    assert "synthetic \u2014 not for clinical use" in text, text
    assert res["note"] == "synthetic \u2014 not for clinical use", res
assert "verdict:" in text and "breast L: probability" in text and "detector score" in text, text
print("L=%.9g,R=%.9g,threshold=%.9g,placeholder=0" % (prob["L"], prob["R"], res["threshold"]))
PY
) || fail "CLI result differs from the model helper"
/usr/bin/python3 "$pydir/check_sr.py" sr.dcm result "$expect" "$@" || fail "check_sr.py"

# a bad file among good ones: reported and skipped, the rest analysed
printf 'not dicom\n' > bad.dcm
"$tg" analyze --model "$model" --sr sr2.dcm --json "$@" bad.dcm > res2.json 2> err.txt || fail "a bad file must be skipped"
grep -q "bad.dcm" err.txt || fail "skipped file must be named on stderr"
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["instances_used"]==3 and len(r["instances_rejected"])==1 and r["instances_rejected"][0]["file"].endswith("bad.dcm"), r' res2.json \
    || fail "rejection not reported in JSON"
set +e
"$tg" analyze --model nosuch.tgm --sr x.dcm "$@" 2>/dev/null; [ $? -eq 1 ] || fail "missing model must exit 1"
"$tg" analyze --model "$model" --sr x.dcm bad.dcm 2>/dev/null; [ $? -eq 1 ] || fail "no usable file must exit 1"
set -e
echo PASS
