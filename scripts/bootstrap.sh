#!/usr/bin/env bash
# One-time (and idempotent) set-up: Debian packages, then the assets that ship
# inside npm packages. Called by `make run`, `make test`, `make build`.
# A second run with everything present finishes in well under 5 seconds.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
THIRD="${XIAOZHI_THIRD_PARTY:-$ROOT/third_party}"

step() { printf '[bootstrap] %s\n' "$*"; }
fail() { printf '[bootstrap] FAILED at step "%s": %s\n' "$CURRENT" "$*" >&2; exit 1; }
CURRENT=start
trap 'fail "command exited with status $? (line $LINENO)"' ERR

# Never add libboost-dev / libboost-all-dev here: they are Boost 1.74 and conflict
# with libboost1.81-dev.
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libopus-dev libwebrtc-audio-processing-dev libsoxr-dev
  libmpg123-dev libflac-dev libfaad-dev  # compressed TTS answers: mp3, FLAC, ADTS AAC
  libmp3lame-dev libavcodec-dev  # tests only: mp3 and AAC encoders for test data
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us
  espeak-ng flite1-dev flite sox libsox-fmt-all
  nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libssl-dev libsqlite3-dev libgtest-dev libgmock-dev libbenchmark-dev
  nodejs
  clang libclang-rt-14-dev  # the fuzz targets: libFuzzer and the sanitizer runtimes
)

CURRENT="debian packages"
# shellcheck source=lib/packages.sh
. "$ROOT/scripts/lib/packages.sh"
mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
if ((${#missing[@]})); then
  step "installing ${#missing[@]} Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then fail "need root to install packages (run as root, or install: ${missing[*]})"; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || fail "apt-get update failed (is the Debian mirror reachable?)"
  apt-get install -y -qq "${missing[@]}" >/dev/null || fail "apt-get install failed for: ${missing[*]}"
  step "Debian packages installed"
else
  step "Debian packages: all ${#PACKAGES[@]} present"
fi
# Checked on every run, not only after an install: a conflicting Boost can arrive later.
if package_installed libboost1.74-dev; then
  fail "Boost 1.74 dev headers (libboost1.74-dev) are installed; they conflict with Boost 1.81 (apt-get remove libboost1.74-dev)"
fi

CURRENT="npm assets"
"$ROOT/scripts/fetch_assets.sh" "$THIRD" || fail "fetch_assets.sh failed (see above)"
step "ready"
