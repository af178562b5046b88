#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# thermoguard audit end to end: synth (DICOM) -> train a tiny model -> audit -> audit.json and
# report.html with the expected content, audit SRs for DICOM inputs, refusals, --no-ids; the
# report renders in headless Chromium (skipped when chromium is not installed).
# usage: cli_audit.sh THERMOGUARD
set -eu
tg=$1
dir=$(mktemp -d /tmp/tg_cli_audit_XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*"; exit 1; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {'d': d}))" "$@"; }

"$tg" synth --out data --patients 6 --seed 3 --dicom >/dev/null 2>&1 || fail "synth"
sed -i 's/\.txt,/.dcm,/' data/views.csv
"$tg" train data --grid 16 --spec 'conv(4,3,1,1)-relu-gap-dense(2)' --epochs 2 --batch 8 --threads 1 --seed 2 \
  --val 0.34 --test 0.01 --out m.tgm >/dev/null 2>train.err || { cat train.err; fail "train"; }

"$tg" audit m.tgm data --out out --attacks fgsm,pgd-5,square-200 --eps-c 0.05,0.2 --max-images 8 \
  --audit-sr sr --threads 1 --json >s.json 2>a.err || { cat a.err; fail "audit"; }
[ -s out/audit.json ] && [ -s out/report.html ] || fail "audit.json / report.html missing"
[ "$(json s.json "d['images']")" = 8 ] || fail "--max-images 8"
[ "$(json out/audit.json "d['format']")" = thermoguard-audit ] || fail "JSON format tag"
[ "$(json out/audit.json "len(d['images'])")" = 8 ] || fail "8 image records"
[ "$(json out/audit.json "d['config']['budgets_celsius']")" = "[0.05, 0.2]" ] || fail "budgets in °C"
[ "$(json out/audit.json "d['model']['sha256']")" = "$(sha256sum m.tgm | cut -d' ' -f1)" ] || fail "model hash"
[ "$(json out/audit.json "d['images'][0]['patient'].startswith('SYN-')")" = True ] || fail "patient ids present"
for want in 'id="accuracy"' 'class="plot-accuracy"' 'class="plot-histogram"' 'preprocessed model-grid input' \
            'Re-quantisation' 'synthetic' 'SYN-0000'; do
  grep -q "$want" out/report.html || fail "report lacks $want"
done
ls sr/*-audit-sr.dcm >/dev/null 2>&1 || fail "no audit SR written"
[ "$(json s.json "d['audit_srs']")" -ge 1 ] || fail "audit SR count"

# A folder of DICOM files without views.csv: every series, breast inputs as the node builds them,
# one audit SR per study.
mkdir dcm
for f in data/*/*.dcm; do cp "$f" "dcm/$(basename "$(dirname "$f")")-$(basename "$f")"; done
"$tg" audit m.tgm dcm --out dout --attacks fgsm --eps-c 0.2 --audit-sr dsr --threads 1 --json >d.json 2>d.err ||
  { cat d.err; fail "audit of a DICOM folder"; }
[ "$(json d.json "d['images']")" -ge 12 ] || fail "DICOM folder: want >= 2 images per study"
[ "$(json dout/audit.json "all(i['label'] == -1 for i in d['images'])")" = True ] || fail "DICOM folder: labels unknown"
[ "$(json d.json "d['audit_srs']")" = 6 ] || fail "DICOM folder: one audit SR per study"
grep -q 'preprocessed model-grid input' dout/report.html && grep -q 'not available: flip counts only' dout/report.html ||
  fail "DICOM folder report (model-grid input, no labels)"

# --no-ids / --no-images: no identifiers, no images anywhere.
"$tg" audit m.tgm data --out anon --attacks fgsm --eps-c 0.1 --max-images 4 --no-ids --no-images >/dev/null 2>&1 ||
  fail "audit --no-ids"
grep -q 'SYN-' anon/audit.json anon/report.html && fail "identifiers leaked with --no-ids"
grep -q 'data:image/png' anon/report.html && fail "images present with --no-images"

# Refusals and usage errors.
set +e
"$tg" audit m.tgm data --out x --threats transfer >/dev/null 2>err; rc=$?
[ $rc -eq 1 ] && grep -q 'source' err || fail "transfer without --source: rc $rc $(cat err)"
"$tg" audit m.tgm data --out x --eps-c 30 >/dev/null 2>err; rc=$?
[ $rc -eq 1 ] && grep -q 'refused' err || fail "budget above range: rc $rc $(cat err)"
"$tg" audit m.tgm data >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing --out"
"$tg" audit m.tgm data --out x --attacks bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown attack"
set -e

# The report renders in headless Chromium into a non-trivial screenshot.
if command -v chromium >/dev/null 2>&1; then
  prof=$(mktemp -d "$dir/prof_XXXXXX")
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
    --screenshot="$dir/shot.png" --window-size=1200,1600 "file://$dir/out/report.html" >/dev/null 2>&1 ||
    fail "chromium could not render the report"
  [ "$(head -c 8 shot.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "screenshot is not a PNG"
  [ "$(stat -c %s shot.png)" -gt 20000 ] || fail "screenshot suspiciously small"
else
  echo "chromium not installed: screenshot check skipped"
fi
echo "cli audit: ok"
