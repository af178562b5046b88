#!/usr/bin/env bash
# Load test with the plugin built under AddressSanitizer + UBSan inside a real Orthanc (label "load",
# not in the default suite). Builds ONLY the plugin target in a separate build dir with
# -DTG_SANITIZE=ON (Debug; incremental, a no-op when packaging/run-tests.sh has already built
# build-asan), then runs node_load.py with --asan: Orthanc is started with LD_PRELOAD of
# $(gcc -print-file-name=libasan.so), detect_leaks=1 and tests/plugin/lsan_orthanc.supp; any
# sanitizer report in Orthanc's output fails.
#
# usage: node_load_asan.sh SOURCE_DIR ASAN_BUILD_DIR CLI PHANTOM_MATRICES [SERIES]
# Through ctest (from the Release build):  ctest --test-dir build -L load --output-on-failure
# CI stage (.ci/run), ~2 cores:
#   echo "== load (200 series) + ASan node (40 series) =="
#   timeout 1200 ctest --test-dir build --output-on-failure -L load
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
src=$1 asan_build=$2 cli=$3 phantom=$4 series=${5:-40}
if [ ! -f "$asan_build/CMakeCache.txt" ]; then
  cmake -S "$src" -B "$asan_build" -DCMAKE_BUILD_TYPE=Debug -DTG_SANITIZE=ON >/dev/null
fi
cmake --build "$asan_build" -j2 --target ThermoGuard >/dev/null
plugin="$asan_build/plugin/orthanc/libThermoGuard.so"
nm -D "$plugin" | grep __asan_init >/dev/null || { echo "FAIL: $plugin is not an ASan build"; exit 1; }
exec /usr/bin/python3 "$src/tests/plugin/node_load.py" "$plugin" "$cli" "$phantom" \
  "$src/packaging/orthanc/thermoguard.json" "$src/testdata/models/demo.tgm" \
  --series "$series" --parallel 8 --asan "$src/tests/plugin/lsan_orthanc.supp" --timeout 540 --rss-growth-mb 1024
