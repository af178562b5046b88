#!/bin/sh
# Robustness-audit throughput (issue #7): the audit default suite (FGSM, PGD-20, C&W-100,
# Square-1000; budgets 0.02-0.2 °C; early stop per image once its verdict flips) through the
# deployed pipeline of MODEL (default: the demo model; denoising on), ThermoGuard's core audit
# (one image per call, as the CLI and the Orthanc job) vs the same suite in PyTorch on the same
# network and inputs (tests/bench/peer_audit.py, tcmalloc preloaded), one image at a time and
# batched by 64; threads from TG_BENCH_THREADS (default "1 2"). Then 1,000 images, adaptive
# threat alone, with the detector (the deployed configuration), ThermoGuard only. Inputs:
# synthetic phantom breast samples (SYNTHETIC). Prints a markdown table; no assertion on time.
# Usage: tests/bench/bench_audit.sh [MODEL.tgm] [N] [N_FULL]
#   N      images for the adaptive-only comparison (default 200)
#   N_FULL images for the adaptive + black-box comparison (default 40; Square dominates)
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
model=${1:-$root/testdata/models/demo.tgm}
n=${2:-200}
nfull=${3:-40}
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_TESTS=OFF -DTG_BUILD_BENCH=ON >/dev/null
cmake --build "$root/build-bench" -j2 --target bench_audit thermoguard >/dev/null
bench=$root/build-bench/tests/bench/bench_audit
PY=/usr/bin/python3
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
[ -r "$TCMALLOC" ] || { echo "bench_audit.sh: $TCMALLOC missing (apt-get install libtcmalloc-minimal4)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$root/build-bench/plugin/cli/thermoguard" synth --out "$out/data" --patients 60 --seed 7 >/dev/null

# compare THREATS N THREADS: ThermoGuard (one image per call) and PyTorch one image at a time and
# batched by 64, on the same exported inputs
compare() {
    OPENBLAS_NUM_THREADS=$3 "$bench" "$model" "$out/data" "$out" "$2" "$1" 0 >"$out/tg"
    for chunk in 1 64; do
        LD_PRELOAD=$TCMALLOC OMP_NUM_THREADS=$3 "$PY" "$here/peer_audit.py" "$out" "$3" "$chunk" "$1" >"$out/torch.$chunk"
    done
    "$PY" - "$out" "$1" "$2" "$3" <<'PYEOF'
import sys, numpy as np
d, threats, n, thr = sys.argv[1:5]
def parse(path):
    f = open(path).read().split()
    return {f[i]: f[i + 1] for i in range(0, len(f) - 1)}
tg, t1, t64 = (parse(d + "/" + f) for f in ("tg", "torch.1", "torch.64"))
a, b = np.fromfile(d + "/tg_clean.bin", np.float32), np.fromfile(d + "/torch_clean.bin", np.float32)
fl = lambda r: "/".join(r.get("flipped_" + t, "?") for t in threats.split(","))
r = lambda x: float(x["img_min"])
print("| %s | %s | %s | %.0f | %.0f | %.0f | %.1f | %.1f | %s, %s, %s | %.1e |" % (
    threats, n, thr, r(tg), r(t1), r(t64), r(tg) / r(t1), r(tg) / r(t64), fl(tg), fl(t1), fl(t64),
    float(np.abs(a - b).max())))
PYEOF
}

echo "| threats | images | threads | ThermoGuard img/min | PyTorch 1-by-1 img/min | PyTorch batch-64 img/min | ratio vs 1-by-1 | ratio vs batch-64 | flipped at 0.2 °C (TG, torch 1, torch 64) | max abs diff clean P |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for t in ${TG_BENCH_THREADS:-1 2}; do
    compare adaptive "$n" "$t"
    compare adaptive,black-box "$nfull" "$t"
done
echo
OPENBLAS_NUM_THREADS=1 "$bench" "$model" "$out/data" "$out" 1000 adaptive 1 |
    sed 's/^/1000 images, adaptive, detector on, 1 thread: /'
