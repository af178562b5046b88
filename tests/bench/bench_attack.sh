#!/bin/sh
# Attack throughput, ThermoGuard vs the same attacks written in PyTorch, in one run:
# PGD-10 and PGD-40 (L∞, ε 8/255, α 2/255, random start) and C&W-L2 fixed c (100 Adam steps),
# batch 64, 2 x 64 x 64 °C inputs -> fixed normalisation -> haar level-1 features (8 x 32 x 32)
# -> the bench_nn CNN, float32, 1 and 2 threads. PyTorch runs the identical chain (the DWT as a
# stride-2 convolution) with tcmalloc preloaded. Prints a markdown table (images/s, ratio).
# Usage: tests/bench/bench_attack.sh
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_TESTS=OFF -DTG_BUILD_BENCH=ON >/dev/null
cmake --build "$root/build-bench" -j2 --target bench_attack >/dev/null
build=$root/build-bench/tests/bench
PY=/usr/bin/python3
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
[ -r "$TCMALLOC" ] || { echo "bench_attack.sh: $TCMALLOC missing (apt-get install libtcmalloc-minimal4)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for t in 1 2; do
    OPENBLAS_NUM_THREADS=$t "$build/bench_attack" "$t" >"$out/tg.$t"
    LD_PRELOAD=$TCMALLOC OMP_NUM_THREADS=$t "$PY" - "$t" >"$out/torch.$t" <<'PYEOF'
import sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1])
torch.set_num_threads(threads)
torch.manual_seed(0)
B, T0, T1 = 64, 20.0, 40.0
net = nn.Sequential(
    nn.Conv2d(8, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, 1, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 2))
for p in net.parameters():
    p.requires_grad_(False)
kern = torch.tensor([[[.25, .25], [.25, .25]], [[.5, .5], [-.5, -.5]],
                     [[.5, -.5], [.5, -.5]], [[.5, -.5], [-.5, .5]]]).unsqueeze(1)

def logits(raw):
    xn = (raw - T0) / (T1 - T0)
    f = F.conv2d(xn.reshape(-1, 1, 64, 64), kern, stride=2).reshape(raw.shape[0], 8, 32, 32)
    return net(f)

def pgd(x0, y, iters):
    s = T1 - T0
    eps, alpha = 8 / 255 * s, 2 / 255 * s
    x = (x0 + torch.empty_like(x0).uniform_(-eps, eps)).clamp(T0, T1)
    for _ in range(iters):
        x.requires_grad_(True)
        g, = torch.autograd.grad(F.cross_entropy(logits(x), y, reduction="sum"), x)
        with torch.no_grad():
            x = torch.min(torch.max(x + alpha * g.sign(), x0 - eps), x0 + eps).clamp(T0, T1)
    return x

def cw(x0, y, iters, c=1.0):  # torchattacks' short form: fixed c, Adam lr 1e-2, kappa 0
    xn0 = (x0 - T0) / (T1 - T0)
    w = torch.atanh((2 * xn0 - 1) * 0.999999).requires_grad_(True)
    opt = torch.optim.Adam([w], lr=1e-2)
    onehot = F.one_hot(y, 2).bool()
    for _ in range(iters):
        xn = 0.5 * (torch.tanh(w) + 1)
        z = logits(T0 + (T1 - T0) * xn)
        m = z[onehot] - z.masked_fill(onehot, -1e9).max(1).values
        loss = ((xn - xn0) ** 2).flatten(1).sum(1).sum() + c * m.clamp(min=0).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return xn

x = 25 + 10 * torch.rand(B, 2, 64, 64)
y = torch.arange(B) % 2
for name, fn in (("pgd10", lambda: pgd(x, y, 10)), ("pgd40", lambda: pgd(x, y, 40)), ("cw100", lambda: cw(x, y, 100))):
    best = 1e30
    for _ in range(3):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    print("attack", threads, name, "%.1f" % (B / best))
PYEOF
done

echo "| threads | attack (batch 64) | ThermoGuard img/s | PyTorch img/s | ratio |"
echo "|---|---|---|---|---|"
for t in 1 2; do
    for a in pgd10 pgd40 cw100; do
        tg=$(awk -v a=$a '$1 == "attack" && $3 == a { print $4 }' "$out/tg.$t")
        pt=$(awk -v a=$a '$1 == "attack" && $3 == a { print $4 }' "$out/torch.$t")
        echo "$tg $pt" | awk -v t=$t -v a=$a '{ printf "| %d | %s | %.1f | %.1f | %.2f |\n", t, a, $1, $2, $1 / $2 }'
    done
done
