#pragma once
// Writes a tiny llama model with random weights as a GGUF file, for tests of the
// llama.cpp engine: the real Llama-2 tokenizer (third_party's vocab-only
// ggml-vocab-llama-spm.gguf) on a 2-block, 64-wide network (~17 MB, 4 M parameters).
// Its text is meaningless but deterministic for a seed.
#include <string>

namespace xz::test {

struct TinyGgufOptions {
  unsigned seed = 1;
  std::string chat_template{};  // stored as tokenizer.chat_template when not empty
};

// Writes the model to `path` (replacing it). Throws std::runtime_error.
void write_tiny_llama_gguf(const std::string& path, const TinyGgufOptions& opts = {});

// The vocab-only GGUF the model is built from.
std::string llama_spm_vocab_path();

}  // namespace xz::test
