#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# thermoguard dicomize (both DMR-IR text dialects) -> analyze -> dciodvfy/dcentvfy/pydicom; and
# the CLI's usage errors. usage: cli_dicomize_analyze.sh THERMOGUARD PYTHON_TEST_DIR
set -eu
tg=$1
pydir=$2
dir=$(mktemp -d /tmp/tg_cli_test_XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*"; exit 1; }

/usr/bin/python3 - <<'PY'
import math
for name, sep, eol, fmt in (("old.txt", " ", "\n", "%.2f"), ("new.txt", ";", "\r\r\n", "%.5f")):
    with open(name, "w", newline="") as f:
        for y in range(48):
            f.write(sep.join(fmt % (30 + 3 * math.sin(x / 7.0) + 0.013 * y) for x in range(64)) + sep.strip() + eol)
PY
printf '1 2 3\n4 5\n' > ragged.txt

"$tg" --help | grep -q dicomize || fail "--help"
"$tg" dicomize --help | grep -q -- --patient-id || fail "dicomize --help"
"$tg" analyze --help | grep -q -- --sr || fail "analyze --help"
set +e
"$tg" nosuchcommand 2>/dev/null; [ $? -eq 2 ] || fail "unknown command must exit 2"
"$tg" dicomize old.txt 2>/dev/null; [ $? -eq 2 ] || fail "missing --patient-id must exit 2"
"$tg" dicomize --patient-id P ragged.txt 2>err.txt; [ $? -eq 1 ] || fail "ragged matrix must exit 1"
grep -q ragged err.txt || fail "ragged message"
"$tg" analyze --sr x.dcm old.txt 2>err.txt; [ $? -eq 1 ] || fail "non-DICOM input must exit 1"
grep -q "old.txt" err.txt || fail "error must name the file"
set -e

mkdir out
"$tg" dicomize --patient-id TG-CLI-1 --laterality L --view FRONTAL --study-date 20240301 --study-time 093000 \
    --out out old.txt > /dev/null
"$tg" dicomize --patient-id TG-CLI-1 --laterality R --view FRONTAL --study-date 20240301 --study-time 093000 \
    --study-uid "$(/usr/bin/python3 -c 'import pydicom;print(pydicom.dcmread("out/old.dcm").StudyInstanceUID)')" \
    --series-uid "$(/usr/bin/python3 -c 'import pydicom;print(pydicom.dcmread("out/old.dcm").SeriesInstanceUID)')" \
    --out out/new.dcm new.txt > /dev/null
"$tg" analyze --sr sr.dcm out/old.dcm out/new.dcm > /dev/null 2>&1
for f in out/old.dcm out/new.dcm sr.dcm; do
    n=$(dciodvfy "$f" 2>&1 | grep -c Error || true)
    [ "$n" -eq 0 ] || { dciodvfy "$f"; fail "dciodvfy errors in $f"; }
done
n=$(dcentvfy out/old.dcm out/new.dcm sr.dcm 2>&1 | grep -c Error || true)
[ "$n" -eq 0 ] || { dcentvfy out/old.dcm out/new.dcm sr.dcm; fail "dcentvfy errors"; }
/usr/bin/python3 "$pydir/check_sr.py" sr.dcm result L=0.5,R=0.5,threshold=0.5,placeholder=1 out/old.dcm out/new.dcm
/usr/bin/python3 - <<'PY'
import pydicom
for name, src, tol in (("out/old.dcm", "old.txt", 0.005 + 1e-6), ("out/new.dcm", "new.txt", 0.005 + 1e-6)):
    ds = pydicom.dcmread(name)
    assert ds.Modality == "TG" and ds.RescaleType == "CEL" and ds.BodyPartExamined == "BREAST", name
    t = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    rows = [[float(v) for v in l.replace(";", " ").split()] for l in open(src) if l.strip()]
    err = max(abs(t[y][x] - rows[y][x]) for y in range(len(rows)) for x in range(len(rows[0])))
    assert err <= tol, (name, err)
print("cli round trip ok")
PY
echo PASS
