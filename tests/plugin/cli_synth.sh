#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# thermoguard synth: determinism, tables, the core's reader accepting what it wrote, DICOM output
# passing dciodvfy/dcentvfy, usage errors. usage: cli_synth.sh THERMOGUARD
set -eu
tg=$1
dir=$(mktemp -d /tmp/tg_cli_synth_XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*"; exit 1; }

"$tg" synth --out a --patients 4 --seed 7 --views frontal,lateral-left >/dev/null || fail "synth a"
"$tg" synth --out b --patients 4 --seed 7 --views frontal,lateral-left >/dev/null || fail "synth b"
"$tg" synth --out c --patients 4 --seed 8 --views frontal,lateral-left >/dev/null || fail "synth c"
diff -r a b >/dev/null || fail "same seed must give identical files"
cmp -s a/SYN-00000/frontal.txt c/SYN-00000/frontal.txt && fail "another seed must give other images"
[ "$(wc -l < a/labels.csv)" -eq 5 ] || fail "labels.csv: header + 4 patients"
[ "$(wc -l < a/views.csv)" -eq 9 ] || fail "views.csv: header + 8 views"
head -1 a/labels.csv | grep -qx 'ID,Diagnosis' || fail "labels header"
[ "$(head -1 a/SYN-00000/frontal.txt | wc -w)" -eq 640 ] || fail "640 columns"
[ "$(wc -l < a/SYN-00000/frontal.txt)" -eq 480 ] || fail "480 rows"

"$tg" synth --out d --patients 2 --views frontal,lateral-left,lateral-right --dicom >/dev/null || fail "synth --dicom"
for f in d/SYN-0000*/*.dcm; do
  [ "$(dciodvfy "$f" 2>&1 | grep -c Error || true)" -eq 0 ] || { dciodvfy "$f"; fail "dciodvfy $f"; }
done
[ "$(dcentvfy d/SYN-00000/*.dcm 2>&1 | grep -c Error || true)" -eq 0 ] || fail "dcentvfy"
"$tg" dicomize --patient-id X --out e.dcm a/SYN-00001/frontal.txt >/dev/null || fail "dicomize of a synth matrix"

set +e
"$tg" synth 2>/dev/null; [ $? -eq 2 ] || fail "missing --out must exit 2"
"$tg" synth --out f --views sideways 2>err.txt; [ $? -eq 2 ] || fail "bad view must exit 2"
grep -q sideways err.txt || fail "bad view message"
"$tg" synth --out f --patients 0 2>/dev/null; [ $? -eq 2 ] || fail "0 patients must exit 2"
"$tg" synth --out f --noise -1 2>err.txt; [ $? -eq 2 ] || fail "negative noise must exit 2"
"$tg" synth --out /proc/nope 2>/dev/null; [ $? -eq 1 ] || fail "unwritable directory must exit 1"
echo "cli_synth: ok"
