#!/usr/bin/env bash
# DICOM-layer benchmark: decode + °C conversion + ITK preprocessing of 640x480 16-bit phantom
# thermograms and result-SR writing (ThermoGuard), next to DCMTK's dcmdump (parse whole file,
# one process for all files) and dcm2pnm (decode + render to PGM, one process per file) on the
# SAME files in the same run. One core: pinned with taskset, ITK and BLAS single-threaded.
# Usage: tests/bench/bench_dicom.sh [views] [rounds]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
views=${1:-20}
rounds=${2:-5}
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_TESTS=OFF -DTG_BUILD_BENCH=ON >/dev/null
cmake --build "$root/build-bench" -j2 --target bench_dicom >/dev/null
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=1
dir=$(mktemp -d /tmp/tg_bench_dicom_XXXXXX)
trap 'rm -rf "$dir"' EXIT
pin="taskset -c 0"
command -v taskset >/dev/null || pin=""
ours=$($pin "$root/build-bench/tests/bench/bench_dicom" "$dir" "$views" "$rounds")
files=("$dir"/view*.dcm)
n=${#files[@]}
ms_per_file() { # command... -> median over 5 runs of (wall ms / n)
  local best=()
  for _ in 1 2 3 4 5; do
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
    best+=("$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN{printf "%.3f", (b-a)/1e6/n}')")
  done
  printf '%s\n' "${best[@]}" | sort -g | sed -n 3p
}
dump=$(ms_per_file $pin dcmdump +M "${files[@]}")
pnm_loop() { for f in "${files[@]}"; do $pin dcm2pnm +Wm "$f" "$dir/out.pgm"; done; }
pnm=$(ms_per_file pnm_loop)
start=$(ms_per_file sh -c "for i in \$(seq $n); do $pin true; done")
printf '%-46s %10s %10s\n' workload "ms/view" "views/s"
while IFS=$'\t' read -r name ms rate; do
  printf '%-46s %10.3f %10.1f\n' "$name" "$ms" "$rate"
done <<<"$ours"
printf '%-46s %10.3f %10.1f\n' "dcmdump +M, all files in one process" "$dump" "$(awk -v m="$dump" 'BEGIN{print 1e3/m}')"
printf '%-46s %10.3f %10.1f\n' "dcm2pnm +Wm -> PGM, one process per file" "$pnm" "$(awk -v m="$pnm" 'BEGIN{print 1e3/m}')"
printf '%-46s %10.3f\n' "  (of which process start, 'taskset true')" "$start"
echo "($n views x $rounds rounds, medians; $(dcmdump --version 2>/dev/null | head -1 | tr -d "$"), $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
