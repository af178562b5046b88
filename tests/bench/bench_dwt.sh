#!/usr/bin/env bash
# Wavelet benchmark: ThermoGuard vs PyWavelets and scikit-image in the same run, single-threaded,
# 480x640. Builds the core in Release in build-bench/, prints medians and ratios (peer / ours).
# Usage: tests/bench/bench_dwt.sh [samples] [reps]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cores=$(nproc)
samples=${1:-21}
reps=${2:-20}
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_TESTS=OFF -DTG_BUILD_BENCH=ON >/dev/null
cmake --build "$root/build-bench" -j2 --target bench_dwt >/dev/null
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
ours=$("$root/build-bench/tests/bench/bench_dwt" "$samples" "$reps")
peers=$(/usr/bin/python3 "$root/tests/bench/peers_dwt.py" "$samples" "$reps")
printf '%-42s %12s %12s %8s\n' workload "ours (ms)" "peer (ms)" "speedup"
while read -r name ms; do
  peer=$(awk -v n="$name" '$1 == n {print $2}' <<<"$peers")
  printf '%-42s %12.3f %12.3f %7.2fx\n' "$name" "$ms" "$peer" "$(awk -v a="$peer" -v b="$ms" 'BEGIN{print a/b}')"
done <<<"$ours"
echo "(peers: PyWavelets $(/usr/bin/python3 -c 'import pywt;print(pywt.__version__)'), scikit-image $(/usr/bin/python3 -c 'import skimage;print(skimage.__version__)'); $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
