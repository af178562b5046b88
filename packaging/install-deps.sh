#!/usr/bin/env bash
# Installs every Debian 12 package ThermoGuard builds, tests or runs with.
# Idempotent; run as root (or through sudo). Safe to re-run: already-installed
# packages are skipped by apt. Debian's own Orthanc service, if the orthanc
# package starts it, is left alone: nothing in this project uses its ports.
set -euo pipefail

PKGS=(
  # build
  cmake make gcc g++ pkg-config clang libclang-rt-14-dev dpkg-dev
  # core
  libopenblas-dev libopenblas0-pthread
  # tests
  libgtest-dev
  # DICOM + preprocessing
  libdcmtk-dev dcmtk libinsighttoolkit5-dev
  # node
  orthanc orthanc-dev orthanc-doc libcjson-dev
  # scale-out test: two Orthanc nodes on one PostgreSQL index (a throw-away cluster per run)
  postgresql orthanc-postgresql
  # validators
  dicom3tools libxml2-utils pixelmed-apps default-jre-headless
  # independent references for cross-checks (never used by the product)
  python3-pywt python3-skimage python3-torch python3-pydicom python3-numpy
  # benchmark peers at their best, browser checks of HTML reports
  libtcmalloc-minimal4 chromium
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#PKGS[@]} packages already installed"
fi

# BLAS: make sure libblas.so.3 is OpenBLAS (a fresh box may point at reference BLAS,
# which would make the Python peers in benchmarks look slower than they are).
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
ob="/usr/lib/$arch/openblas-pthread/libblas.so.3"
if [ -e "$ob" ]; then
  $SUDO update-alternatives --set "libblas.so.3-$arch" "$ob" >/dev/null 2>&1 || true
fi
