#!/usr/bin/env bash
# ThermoGuard demo: ONE command on a fresh Debian 12 machine.
#
#   packaging/demo.sh                 install deps, build, start Orthanc + plugin, send a synthetic
#                                     study with storescu, wait for the SR, print the verdict, stop
#   packaging/demo.sh --keep-running  same, then leave the node running for your own studies
#
# Orthanc 1.10.1 has no bind-address option: it listens on all interfaces. The demo config
# therefore sets RemoteAccessAllowed:false (HTTP answers loopback clients only),
# DicomAlwaysAllowStore:false and DicomCheckModalityHost:true with a single modality at
# 127.0.0.1 (only that AET, from this machine, may store), on free random ports.
#
# Environment (optional):
#   TG_DEMO_MODEL=PATH      model file to use (default testdata/models/demo.tgm); its SHA-256 is
#                           computed at run time and pinned in the generated config
#   TG_DEMO_SKIP_DEPS=1     do not run packaging/install-deps.sh (packages already installed)
#   TG_DEMO_TIMEOUT=SECONDS how long to wait for the SR (default 180)
# Research use only; the demo model is synthetic and not for clinical use.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

KEEP=0
for a in "$@"; do
  case "$a" in
    --keep-running) KEEP=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option '$a' (try --help)" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build"
MODEL=${TG_DEMO_MODEL:-$ROOT/testdata/models/demo.tgm}
TIMEOUT=${TG_DEMO_TIMEOUT:-180}
AET_NODE=THERMOGUARD
AET_SCU=TGDEMO
PY=/usr/bin/python3

say() { printf '\n== %s\n' "$*"; }
die() { printf 'demo: ERROR: %s\n' "$*" >&2; exit 1; }

# ---- 1. dependencies ----
if [ "${TG_DEMO_SKIP_DEPS:-0}" != 1 ]; then
  say "installing Debian packages (packaging/install-deps.sh)"
  if [ "$(id -u)" = 0 ]; then
    "$ROOT/packaging/install-deps.sh"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$ROOT/packaging/install-deps.sh"
  else
    die "installing packages needs root: run this as root, or install sudo (or set TG_DEMO_SKIP_DEPS=1 if the packages of packaging/install-deps.sh are installed)"
  fi
fi
for tool in cmake Orthanc storescu dsrdump "$PY"; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run packaging/install-deps.sh as root"
done

# ---- 2. build (Release, in build/) ----
say "building (Release) in $BUILD"
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$jobs" --target ThermoGuard thermoguard
PLUGIN="$BUILD/plugin/orthanc/libThermoGuard.so"
CLI="$BUILD/plugin/cli/thermoguard"
[ -f "$PLUGIN" ] || die "the plugin was not built ($PLUGIN): orthanc-dev or libcjson-dev missing?"
[ -x "$CLI" ] || die "the CLI was not built ($CLI)"

# ---- 3. the model ----
if [ ! -f "$MODEL" ]; then
  die "model file $MODEL does not exist. Create the demo model with packaging/make-demo-model.sh (it writes testdata/models/demo.tgm), or point TG_DEMO_MODEL at a .tgm file, then re-run."
fi
MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
SHA=$(sha256sum "$MODEL" | cut -d' ' -f1)

# ---- 4. config on free ports in a temp dir ----
TMP=$(mktemp -d "${TMPDIR:-/tmp}/thermoguard-demo.XXXXXX")
ORTHANC_PID=""
stop_orthanc() {
  if [ -n "$ORTHANC_PID" ] && kill -0 "$ORTHANC_PID" 2>/dev/null; then
    kill -TERM "$ORTHANC_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$ORTHANC_PID" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$ORTHANC_PID" 2>/dev/null; then
      echo "demo: Orthanc did not stop within 20 s; killing it" >&2
      kill -KILL "$ORTHANC_PID" 2>/dev/null || true
    fi
    wait "$ORTHANC_PID" 2>/dev/null || true
  fi
  ORTHANC_PID=""
}
cleanup() {
  local rc=$?
  if [ "$KEEP" = 1 ] && [ "$rc" = 0 ]; then return; fi
  stop_orthanc
  if [ "$rc" != 0 ] && [ -f "$TMP/orthanc.log" ]; then
    echo "---- last lines of the Orthanc log ($TMP/orthanc.log) ----" >&2
    tail -n 30 "$TMP/orthanc.log" >&2 || true
    echo "(temporary files kept in $TMP)" >&2
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r HTTP_PORT DICOM_PORT SCU_PORT < <("$PY" - <<'EOF'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
)
mkdir -p "$TMP/conf" "$TMP/db"
"$PY" - "$ROOT/packaging/orthanc/thermoguard.json" "$TMP/conf/orthanc.json" <<EOF
import json, sys
snippet = json.load(open(sys.argv[1]))
tg = snippet["ThermoGuard"]
tg.update({"Models": [{"Name": "demo", "Version": "demo", "Path": "$MODEL", "SHA256": "$SHA"}],
           "ActiveModel": "demo", "DetectorEnabled": True})
conf = {
    "Name": "ThermoGuardDemo", "HttpPort": $HTTP_PORT, "DicomPort": $DICOM_PORT, "DicomAet": "$AET_NODE",
    "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
    "DicomAlwaysAllowStore": False, "DicomCheckModalityHost": True,
    "DicomModalities": {"demo": ["$AET_SCU", "127.0.0.1", $SCU_PORT]},
    "StableAge": 2, "SaveJobs": False, "ConcurrentJobs": snippet.get("ConcurrentJobs", 3),
    "StorageDirectory": "$TMP/db", "IndexDirectory": "$TMP/db",
    "Plugins": ["$PLUGIN"],
    "UserMetadata": snippet["UserMetadata"], "ThermoGuard": tg,
}
json.dump(conf, open(sys.argv[2], "w"), indent=2)
EOF

# Small REST client (curl is not part of a fresh Debian): GET or POST, prints the body.
rest() {
  "$PY" - "$HTTP_PORT" "$@" <<'EOF'
import sys, urllib.request, urllib.error
port, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
data = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), data=data, method=method)
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        sys.stdout.buffer.write(r.read())
except urllib.error.HTTPError as e:
    sys.stdout.buffer.write(e.read()); sys.exit(3)
except OSError as e:
    print(e, file=sys.stderr); sys.exit(4)
EOF
}

# ---- 5. start Orthanc ----
say "starting Orthanc (HTTP $HTTP_PORT, DICOM $DICOM_PORT, AET $AET_NODE) with model $(basename "$MODEL") sha256 $SHA"
setsid Orthanc "$TMP/conf" >"$TMP/orthanc.log" 2>&1 < /dev/null &
ORTHANC_PID=$!
for _ in $(seq 1 150); do
  kill -0 "$ORTHANC_PID" 2>/dev/null || die "Orthanc exited during start-up"
  rest GET /system >/dev/null 2>&1 && break
  sleep 0.2
done
rest GET /system >/dev/null 2>&1 || die "Orthanc did not answer within 30 s"
STATUS=$(rest GET /thermoguard/status)
"$PY" -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if s["Enabled"] else 1)' "$STATUS" \
  || die "the ThermoGuard plugin is disabled: $STATUS"

# ---- 6. a synthetic study, sent with storescu ----
say "dicomizing a synthetic study (thermoguard synth --patients 1 --dicom)"
"$CLI" synth --out "$TMP/study" --patients 1 --dicom
FILES=("$TMP"/study/*/*.dcm)
[ -f "${FILES[0]}" ] || die "thermoguard synth wrote no DICOM files"
say "sending ${#FILES[@]} instances: storescu -aet $AET_SCU -aec $AET_NODE 127.0.0.1 $DICOM_PORT ..."
storescu -aet "$AET_SCU" -aec "$AET_NODE" 127.0.0.1 "$DICOM_PORT" "${FILES[@]}"
T_SENT=$(date +%s.%N)

# ---- 7. wait for the SR (bounded) ----
say "waiting for the SR (StableAge 2 s, timeout ${TIMEOUT} s)"
RESULT=""
deadline=$(( $(date +%s) + TIMEOUT ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  kill -0 "$ORTHANC_PID" 2>/dev/null || die "Orthanc stopped unexpectedly"
  SERIES=$(rest POST /tools/find '{"Level":"Series","Query":{"Modality":"TG"}}' 2>/dev/null || true)
  SID=$("$PY" -c 'import json,sys; l=json.loads(sys.argv[1] or "[]"); print(l[0] if l else "")' "$SERIES" 2>/dev/null || true)
  if [ -n "$SID" ]; then
    R=$(rest GET "/thermoguard/series/$SID/result" 2>/dev/null || true)
    if "$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r.get("Status") in ("done","failed") and "Pending" not in r else 1)' "$R" 2>/dev/null; then
      RESULT=$R
      break
    fi
  fi
  sleep 0.5
done
[ -n "$RESULT" ] || die "no result within ${TIMEOUT} s (see the Orthanc log)"
T_DONE=$(date +%s.%N)
"$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r["Status"]=="done" else 1)' "$RESULT" \
  || die "the analysis failed: $RESULT"
SR_ID=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["SRInstance"])' "$RESULT")
rest GET "/instances/$SR_ID/file" >"$TMP/result-sr.dcm"

# ---- 8. the verdict ----
say "the result SR (dsrdump)"
dsrdump "$TMP/result-sr.dcm"
say "the REST result (GET /thermoguard/series/$SID/result)"
"$PY" -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]), indent=2))' "$RESULT"
say "verdict"
"$PY" - "$RESULT" "$T_SENT" "$T_DONE" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
sides = ", ".join("%s breast %.4f" % ({"L": "left", "R": "right"}[b["Laterality"]], b["Probability"]) for b in r["Breasts"])
print("%s: maximum probability %.4f at threshold %.2f (%s)" % (
    "SUSPICIOUS" if r["Suspicious"] else "not suspicious", r["Probability"], r["Threshold"], sides))
print("model %s %s sha256 %s%s" % (r.get("ModelName", "?"), r.get("ModelVersion", ""), r["Model"],
      " - synthetic demo model, not for clinical use" if r.get("SyntheticDemoModel") else ""))
flags = [b["Laterality"] for b in r["Breasts"] if b.get("DetectorFlag")]
print("adversarial-input detector: %s" % ("flagged " + ",".join(flags) if flags else "no flag"))
print("%.2f s from the end of storescu to the SR (includes Orthanc's StableAge of 2 s; analysis %.3f s)"
      % (float(sys.argv[3]) - float(sys.argv[2]), r["Seconds"]))
print("Research use only. Machine result, unverified.")
EOF

if [ "$KEEP" = 1 ]; then
  say "the node keeps running (PID $ORTHANC_PID)"
  cat <<EOF
Send your own thermography studies (Modality TG) from this machine:
  storescu -aet $AET_SCU -aec $AET_NODE 127.0.0.1 $DICOM_PORT FILE.dcm...
Results:   http://127.0.0.1:$HTTP_PORT/thermoguard/status
           http://127.0.0.1:$HTTP_PORT/thermoguard/series/<series id>/result
Explorer:  http://127.0.0.1:$HTTP_PORT/app/explorer.html (this machine only)
Log:       $TMP/orthanc.log
Stop:      kill $ORTHANC_PID && rm -rf $TMP
EOF
else
  say "stopping Orthanc"
  stop_orthanc
  echo "demo: done"
fi
