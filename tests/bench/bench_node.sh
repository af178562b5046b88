#!/usr/bin/env bash
# Node benchmark: throughput (series/min) and latency from the StableSeries event to the SR stored
# (p50/p95, the plugin's own per-series LatencySeconds, so Orthanc's StableAge wait is excluded)
# for 4-view 640x480 series, and the share of analysis time in fetch, decode, preprocess,
# model (pipeline + detector), SR writing and SR store. Real Orthanc, loopback, demo model, 2 workers.
#   run 1 "throughput": N series sent by 8 parallel storescu (queue builds up; latency includes queueing)
#   run 2 "latency":    M series sent one after the other (paced, no queue build-up)
# usage: tests/bench/bench_node.sh [BUILD_DIR] [N] [M]     (defaults: build 200 40)
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build} n=${2:-200} m=${3:-40}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() {
  /usr/bin/python3 "$root/tests/plugin/node_load.py" "$build/plugin/orthanc/libThermoGuard.so" \
    "$build/plugin/cli/thermoguard" "$build/tests/plugin/phantom_matrices" \
    "$root/packaging/orthanc/thermoguard.json" "$root/testdata/models/demo.tgm" "$@" | grep -v '^PASS$'
}
run --series "$n" --parallel 8 --bench-json "$out/tp.json"
run --series "$m" --parallel 1 --bench-json "$out/lat.json"
/usr/bin/python3 - "$out/tp.json" "$out/lat.json" <<'PY'
import json, sys
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]
print("| run | series | sent with | series/min | latency p50 s | p95 s | analysis s/series (mean) |")
print("|---|---|---|---|---|---|---|")
for name, path in (("throughput", sys.argv[1]), ("latency", sys.argv[2])):
    b = json.load(open(path))
    lat = [r["LatencySeconds"] for r in b["results"]]
    sec = [r["Seconds"] for r in b["results"]]
    print("| %s | %d | %d parallel storescu | %.0f | %.3f | %.3f | %.3f |" % (name, b["series"], b["parallel"],
          60.0 * b["series"] / b["all_seconds"], pct(lat, 50), pct(lat, 95), sum(sec) / len(sec)))
b = json.load(open(sys.argv[2]))
keys = ("Fetch", "Decode", "Preprocess", "Model", "SRWrite", "Store")
tot = {k: sum(r["Timing"][k] for r in b["results"]) for k in keys}
s = sum(tot.values())
print("\nshare of timed analysis work (latency run): " +
      ", ".join("%s %.0f%% (%.1f ms/series)" % (k, 100 * tot[k] / s, 1000 * tot[k] / len(b["results"])) for k in keys))
PY
