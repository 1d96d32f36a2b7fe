#!/usr/bin/env bash
# Fetch the assets that ship inside npm packages, pinned by version and SHA-256:
#   models/silero_vad.onnx           Silero VAD v5 (MIT)
#   onnxruntime/include              ONNX Runtime C/C++ API headers, API 29 (MIT)
#   sherpa-onnx/lib                  sherpa-onnx 1.13.8 C/C++ API libraries (Apache-2.0) and the
#                                    ONNX Runtime 1.28.2 they use (MIT): the server's one runtime.
#                                    Not asus4's 1.29 library: that one is built with Microsoft's
#                                    1DS telemetry (a device id and queued events under
#                                    ~/.cache/Microsoft/DeveloperTools, mat-debug-<pid>.log in $TMPDIR).
#   llama/{lib,src}                  llama.cpp v0.5.0 prebuilt CPU libs + headers + vocab GGUFs (MIT)
# `npm pack` downloads tarballs only: no dependency tree, no install scripts.
set -euo pipefail

OUT=$(mkdir -p "${1:-third_party}" && cd "${1:-third_party}" && pwd)
STAMP="$OUT/.assets-v2"

# name@version  sha256-of-tarball  tarball-file-name
PINS=(
  "@livekit/agents-plugin-silero@1.9.0 7ea5f5a41fe6c8010291632b075673e5bf9aa5d0ef33e037edf982259cebaf08 livekit-agents-plugin-silero-1.9.0.tgz"
  "com.github.asus4.onnxruntime@0.4.9 e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d com.github.asus4.onnxruntime-0.4.9.tgz"
  "sherpa-onnx-linux-x64@1.13.8 13291bcd825da5858ca27a35443e9a2c229a40616c0910086de2db12c5c9312c sherpa-onnx-linux-x64-1.13.8.tgz"
  "@node-llama-cpp/linux-x64@3.22.1 0d953e1503d5ab4608d8ed5b739132308c81ac05ffeb760d2a7f30e08a9f90e0 node-llama-cpp-linux-x64-3.22.1.tgz"
  "node-llama-cpp@3.22.1 a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f node-llama-cpp-3.22.1.tgz"
)
OUTPUTS=(
  models/silero_vad.onnx
  onnxruntime/include/onnxruntime_cxx_api.h
  sherpa-onnx/lib/libonnxruntime.so
  sherpa-onnx/lib/libsherpa-onnx-c-api.so
  llama/lib/libllama.v0.5.0.so
  llama/src/include/llama.h
  llama/src/models/ggml-vocab-llama-spm.gguf
)

say() { printf '[assets] %s\n' "$*"; }

all_present() {
  [ -f "$STAMP" ] || return 1
  for f in "${OUTPUTS[@]}"; do [ -e "$OUT/$f" ] || return 1; done
}
if all_present; then
  say "npm assets: present ($(basename "$STAMP"))"
  exit 0
fi

command -v npm >/dev/null || { say "npm is not installed (Debian/nodesource package nodejs)"; exit 1; }
DL="$OUT/dl"
mkdir -p "$DL" "$OUT/models" "$OUT/onnxruntime/include" "$OUT/sherpa-onnx/lib" "$OUT/llama/lib"
cd "$DL"

for pin in "${PINS[@]}"; do
  read -r spec sha file <<<"$pin"
  if [ ! -f "$file" ] || ! echo "$sha  $file" | sha256sum -c --status; then
    say "downloading $spec"
    rm -f "$file"
    npm pack --silent "$spec" >/dev/null || { say "npm pack $spec failed (is the npm registry reachable?)"; exit 1; }
  fi
  echo "$sha  $file" | sha256sum -c --status || { say "SHA-256 mismatch for $file (expected $sha)"; exit 1; }
done
say "tarballs verified"

rm -rf package
tar xzf livekit-agents-plugin-silero-1.9.0.tgz -O package/dist/silero_vad.onnx >"$OUT/models/silero_vad.onnx"
say "Silero VAD v5 model extracted"

# Headers only from asus4's package; its libraries stay in the tarball.
H='package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64_x86_64-simulator/onnxruntime.framework/Headers'
tar xzf com.github.asus4.onnxruntime-0.4.9.tgz --wildcards "$H/*.h" package/LICENSE
rm -rf "$OUT/onnxruntime"  # a tree fetched before v2 has the 1.29 library in onnxruntime/lib
mkdir -p "$OUT/onnxruntime/include"
cp "$H"/*.h "$OUT/onnxruntime/include/"
cp package/LICENSE "$OUT/onnxruntime/LICENSE"
rm -rf package
say "ONNX Runtime API 29 headers extracted"

# Every library of the package, side by side: each has RPATH $ORIGIN and
# libonnxruntime.so (its SONAME, no .so.1) is what the sherpa-onnx ones need.
# sherpa-onnx.node (a Node.js addon) is not kept.
tar xzf sherpa-onnx-linux-x64-1.13.8.tgz --wildcards 'package/*.so' package/package.json
rm -rf "$OUT/sherpa-onnx" && mkdir -p "$OUT/sherpa-onnx/lib"
cp package/*.so "$OUT/sherpa-onnx/lib/"
cp package/package.json "$OUT/sherpa-onnx/"  # version and license (Apache-2.0); ORT inside is MIT
rm -rf package
say "sherpa-onnx 1.13.8 libraries + ONNX Runtime 1.28.2 extracted"

tar xzf node-llama-cpp-linux-x64-3.22.1.tgz package/bins/linux-x64
cp package/bins/linux-x64/*.so "$OUT/llama/lib/"
tar xzf node-llama-cpp-3.22.1.tgz package/llama/gitRelease.bundle
rm -rf "$OUT/llama/src" bundle.git && mkdir -p "$OUT/llama/src"
git clone -q --bare package/llama/gitRelease.bundle bundle.git
git -C bundle.git archive HEAD LICENSE include ggml/include \
  models/ggml-vocab-llama-spm.gguf models/ggml-vocab-qwen2.gguf | tar x -C "$OUT/llama/src"
rm -rf bundle.git package
say "llama.cpp v0.5.0 libraries + headers extracted"

# The tarballs stay in npm's own cache; drop our copies to keep the folder small.
rm -f "$DL"/*.tgz
rm -f "$OUT"/.assets-v*
date -u +%FT%TZ >"$STAMP"
say "npm assets ready in $OUT"
