#!/bin/sh
# Benchmark of the nn core against PyTorch in the same run: the 3-conv CNN of
# docs/benchmarking.md (1->16->32->64, 3x3, max pool, GAP, linear; 1x128x128), batch 1 and 64,
# 1 and 2 threads: forward, forward+backward to the input, one SGD training step.
# Prints a markdown table (images/s, ratio, GFLOP/s) plus the SGEMM peak and per-layer GEMM rates.
# Usage: tests/bench/bench_nn.sh
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_TESTS=OFF -DTG_BUILD_BENCH=ON >/dev/null
cmake --build "$root/build-bench" -j2 --target bench_nn >/dev/null
build=$root/build-bench/tests/bench
PY=/usr/bin/python3
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
[ -r "$TCMALLOC" ] || { echo "bench_nn.sh: $TCMALLOC missing (apt-get install libtcmalloc-minimal4)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for t in 1 2; do
    OPENBLAS_NUM_THREADS=$t "$build/bench_nn" "$t" >"$out/tg.$t"
    LD_PRELOAD=$TCMALLOC OMP_NUM_THREADS=$t "$PY" - "$t" >"$out/torch.$t" <<'PYEOF'
import statistics, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1])
torch.set_num_threads(threads)
torch.manual_seed(0)
net = nn.Sequential(
    nn.Conv2d(1, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, 1, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 2))
opt = torch.optim.SGD(net.parameters(), lr=1e-3)

def fwd(x, y):
    with torch.no_grad():
        net(x)

def fwdbwd(x, y):  # attack-style: gradient w.r.t. the input only, parameters frozen
    x = x.clone().requires_grad_(True)
    torch.autograd.grad(F.cross_entropy(net(x), y), x)

def train(x, y):
    opt.zero_grad()
    F.cross_entropy(net(x), y).backward()
    opt.step()

for name, fn in (("fwd", fwd), ("fwdbwd", fwdbwd), ("train", train)):
    for p in net.parameters():
        p.requires_grad_(name == "train")
    for b in (1, 64):
        x = torch.rand(b, 1, 128, 128)
        y = torch.arange(b) % 2
        reps = 30 if b == 1 else 5
        fn(x, y)
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn(x, y)
            ts.append(time.perf_counter() - t0)
        print("net", threads, b, name, "%.1f" % (b / statistics.median(ts)))
PYEOF
done

echo "| threads | batch | workload | ThermoGuard img/s | PyTorch img/s | ratio | ThermoGuard GFLOP/s | SGEMM peak GFLOP/s |"
echo "|---|---|---|---|---|---|---|---|"
for t in 1 2; do
    peak=$(awk '$1 == "sgemm" { print $3 }' "$out/tg.$t")
    for w in fwd fwdbwd train; do
        for b in 1 64; do
            tg=$(awk -v b=$b -v w=$w '$1 == "net" && $3 == b && $4 == w { print $5 " " $6 }' "$out/tg.$t")
            pt=$(awk -v b=$b -v w=$w '$1 == "net" && $3 == b && $4 == w { print $5 }' "$out/torch.$t")
            echo "$tg $pt" | awk -v t=$t -v b=$b -v w=$w -v peak="$peak" \
                '{ printf "| %d | %d | %s | %.0f | %.0f | %.2f | %.1f | %.1f |\n", t, b, w, $1, $3, $1 / $3, $2, peak }'
        done
    done
done
echo
echo "Per conv layer at batch 64 (GEMM + im2col/col2im), GFLOP/s:"
echo
echo "| threads | conv1 fwd | conv1 dgrad | conv1 wgrad | conv2 fwd | conv2 dgrad | conv2 wgrad | conv3 fwd | conv3 dgrad | conv3 wgrad |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for t in 1 2; do
    awk -v t=$t '$1 == "layer" { row = row " " $4 " |" } END { print "| " t " |" row }' "$out/tg.$t"
done
