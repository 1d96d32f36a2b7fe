#!/usr/bin/env bash
# Fetch the assets that ship inside npm packages, pinned by version and SHA-256:
#   models/silero_vad.onnx           Silero VAD v5 (MIT)
#   onnxruntime/{include,lib}        ONNX Runtime 1.29.0 C/C++ API (MIT)
#   llama/{lib,src}                  llama.cpp v0.5.0 prebuilt CPU libs + headers + vocab GGUFs (MIT)
# `npm pack` downloads tarballs only: no dependency tree, no install scripts.
set -euo pipefail

OUT=$(mkdir -p "${1:-third_party}" && cd "${1:-third_party}" && pwd)
STAMP="$OUT/.assets-v1"

# name@version  sha256-of-tarball  tarball-file-name
PINS=(
  "@livekit/agents-plugin-silero@1.9.0 7ea5f5a41fe6c8010291632b075673e5bf9aa5d0ef33e037edf982259cebaf08 livekit-agents-plugin-silero-1.9.0.tgz"
  "com.github.asus4.onnxruntime@0.4.9 e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d com.github.asus4.onnxruntime-0.4.9.tgz"
  "@node-llama-cpp/linux-x64@3.22.1 0d953e1503d5ab4608d8ed5b739132308c81ac05ffeb760d2a7f30e08a9f90e0 node-llama-cpp-linux-x64-3.22.1.tgz"
  "node-llama-cpp@3.22.1 a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f node-llama-cpp-3.22.1.tgz"
)
OUTPUTS=(
  models/silero_vad.onnx
  onnxruntime/include/onnxruntime_cxx_api.h
  onnxruntime/lib/libonnxruntime.so.1
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
mkdir -p "$DL" "$OUT/models" "$OUT/onnxruntime/include" "$OUT/onnxruntime/lib" "$OUT/llama/lib"
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

H='package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64_x86_64-simulator/onnxruntime.framework/Headers'
tar xzf com.github.asus4.onnxruntime-0.4.9.tgz --wildcards "$H/*.h" package/Plugins/Linux/x64/libonnxruntime.so package/LICENSE
cp "$H"/*.h "$OUT/onnxruntime/include/"
cp package/Plugins/Linux/x64/libonnxruntime.so "$OUT/onnxruntime/lib/libonnxruntime.so.1"
ln -sf libonnxruntime.so.1 "$OUT/onnxruntime/lib/libonnxruntime.so"
cp package/LICENSE "$OUT/onnxruntime/LICENSE"
rm -rf package
say "ONNX Runtime 1.29.0 headers + library extracted"

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
date -u +%FT%TZ >"$STAMP"
say "npm assets ready in $OUT"
