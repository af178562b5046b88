#!/usr/bin/env bash
# The one test command: installs dependencies (Debian 12, as root or via sudo), builds
# ThermoGuard in Release, runs the default test suite, then rebuilds with
# AddressSanitizer + UBSan and runs the core, DICOM and CLI tests again (every parser of outside
# input: text matrices, labels, DICOM, model files), failing on any report.
# Usage: packaging/run-tests.sh            (from anywhere inside the repository)
# Environment: TG_JOBS (parallel build jobs, default: nproc), TG_SKIP_INSTALL=1 to skip apt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${TG_JOBS:-$(nproc)}

if [ "${TG_SKIP_INSTALL:-0}" != 1 ]; then
  bash packaging/install-deps.sh
fi

echo "== build (Release) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"

echo "== tests (default suite) =="
ctest --test-dir build --output-on-failure -j "$jobs" -LE 'slow|fuzz|load|browser|sanitize'

echo "== tests under AddressSanitizer + UBSan (core, dicom, cli) =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTG_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -L 'core|dicom|cli'
