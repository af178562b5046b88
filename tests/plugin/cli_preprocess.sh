#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# thermoguard preprocess on a text matrix, its dicomized DICOM and a PNG; usage errors.
# usage: cli_preprocess.sh THERMOGUARD
set -eu
tg=$1
dir=$(mktemp -d /tmp/tg_cli_pp_XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*"; exit 1; }

# A 120 x 160 "torso" at 33 °C on a 23 °C room, one warm spot in the image-left (patient's right) half.
/usr/bin/python3 - <<'PY'
with open("v.txt", "w") as f:
    for y in range(120):
        row = []
        for x in range(160):
            t = 33.0 if (y > 10 and 30 <= x < 130) else 23.0
            if (x - 55) ** 2 + (y - 70) ** 2 < 36:
                t += 2.0
            row.append("%.2f" % (t + 0.01 * ((x * 7 + y * 3) % 5)))
        f.write(" ".join(row) + "\n")
PY

"$tg" --help | grep -q preprocess || fail "--help lists preprocess"
"$tg" preprocess --help | grep -q -- --view || fail "preprocess --help"
set +e
"$tg" preprocess v.txt 2>/dev/null; [ $? -eq 2 ] || fail "missing --out must exit 2"
"$tg" preprocess --out o --view sideways v.txt 2>/dev/null; [ $? -eq 2 ] || fail "bad --view must exit 2"
"$tg" preprocess --out o missing.png 2>err.txt; [ $? -eq 1 ] || fail "missing file must exit 1"
grep -q missing.png err.txt || fail "error must name the file"
/usr/bin/python3 -c 'print("\n".join(" ".join(["23.00"] * 64) for _ in range(48)))' > flat.txt
"$tg" preprocess --out o flat.txt 2>err.txt; [ $? -eq 1 ] || fail "no body must exit 1"
grep -q "no body" err.txt || fail "no-body message"
set -e

"$tg" preprocess --out txt --grid 32 v.txt > log.txt
grep -q "midline column 79.5" log.txt || { cat log.txt; fail "midline"; }
for f in v_body_mask v_right_this v_right_contra v_right_mask v_left_this v_left_contra v_left_mask; do
    [ -s "txt/$f.txt" ] || fail "missing txt/$f.txt"
done
"$tg" dicomize --patient-id TG-PP --view FRONTAL --laterality B --out v.dcm v.txt > /dev/null
"$tg" preprocess --out dcm --grid 32 v.dcm > /dev/null
"$tg" preprocess --out png --format png v.dcm > /dev/null
[ -s png/v_left_this.png ] || fail "png output"
"$tg" preprocess --out png2 png/v_body_mask.png | grep -q "intensity (no temperature scale)" || fail "PNG input is intensity"
/usr/bin/python3 - <<'PY'
def load(p):
    return [[float(v) for v in l.strip().split(";") if v] for l in open(p, newline="") if l.strip()]
for side in ("right", "left"):
    a, b = load("txt/v_%s_this.txt" % side), load("dcm/v_%s_this.txt" % side)
    err = max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))
    assert err <= 0.01, (side, err)
# The warm spot is in the patient's right breast: its channel 0 is warmer than its mirror.
r, rc = load("txt/v_right_this.txt"), load("txt/v_right_contra.txt")
assert max(max(row) for row in r) > max(max(row) for row in rc) + 0.5
print("cli preprocess ok")
PY
echo PASS
