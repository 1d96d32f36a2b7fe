#include "support/tiny_gguf.h"
#include "build_paths.h"

#include <ggml.h>
#include <gguf.h>

#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

namespace xz::test {

namespace {

struct GgufFree {
  void operator()(gguf_context* g) const { gguf_free(g); }
};
struct GgmlFree {
  void operator()(ggml_context* c) const { ggml_free(c); }
};

constexpr int kEmbd = 64;
constexpr int kBlocks = 2;
constexpr int kFeedForward = 128;
constexpr int kHeads = 4;
constexpr int kHeadsKv = 2;
constexpr int kHeadDim = kEmbd / kHeads;

}  // namespace

std::string llama_spm_vocab_path() { return std::string(XZ_THIRD_PARTY_DIR) + "/llama/src/models/ggml-vocab-llama-spm.gguf"; }

void write_tiny_llama_gguf(const std::string& path, const TinyGgufOptions& opts) {
  gguf_init_params vp{/*no_alloc=*/true, /*ctx=*/nullptr};
  std::unique_ptr<gguf_context, GgufFree> vocab(gguf_init_from_file(llama_spm_vocab_path().c_str(), vp));
  if (!vocab) throw std::runtime_error("cannot read the vocabulary " + llama_spm_vocab_path());
  int64_t tokens_key = gguf_find_key(vocab.get(), "tokenizer.ggml.tokens");
  if (tokens_key < 0) throw std::runtime_error("the vocabulary has no tokenizer.ggml.tokens");
  const auto n_vocab = static_cast<int64_t>(gguf_get_arr_n(vocab.get(), tokens_key));

  std::unique_ptr<gguf_context, GgufFree> out(gguf_init_empty());
  gguf_set_kv(out.get(), vocab.get());
  gguf_set_val_str(out.get(), "general.architecture", "llama");
  gguf_set_val_str(out.get(), "general.name", "tiny-random-llama");
  gguf_set_val_u32(out.get(), "llama.vocab_size", static_cast<uint32_t>(n_vocab));
  gguf_set_val_u32(out.get(), "llama.context_length", 512);
  gguf_set_val_u32(out.get(), "llama.embedding_length", kEmbd);
  gguf_set_val_u32(out.get(), "llama.block_count", kBlocks);
  gguf_set_val_u32(out.get(), "llama.feed_forward_length", kFeedForward);
  gguf_set_val_u32(out.get(), "llama.attention.head_count", kHeads);
  gguf_set_val_u32(out.get(), "llama.attention.head_count_kv", kHeadsKv);
  gguf_set_val_u32(out.get(), "llama.rope.dimension_count", kHeadDim);
  gguf_set_val_f32(out.get(), "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  gguf_set_val_f32(out.get(), "llama.rope.freq_base", 10000.0f);
  if (!opts.chat_template.empty()) gguf_set_val_str(out.get(), "tokenizer.chat_template", opts.chat_template.c_str());

  struct Shape {
    std::string name;
    int64_t ne0, ne1;  // ne1 = 0: a vector
    bool norm;
  };
  std::vector<Shape> shapes = {{"token_embd.weight", kEmbd, n_vocab, false},
                               {"output_norm.weight", kEmbd, 0, true},
                               {"output.weight", kEmbd, n_vocab, false}};
  for (int b = 0; b < kBlocks; ++b) {
    std::string p = "blk." + std::to_string(b) + ".";
    shapes.push_back({p + "attn_norm.weight", kEmbd, 0, true});
    shapes.push_back({p + "attn_q.weight", kEmbd, kHeadDim * kHeads, false});
    shapes.push_back({p + "attn_k.weight", kEmbd, kHeadDim * kHeadsKv, false});
    shapes.push_back({p + "attn_v.weight", kEmbd, kHeadDim * kHeadsKv, false});
    shapes.push_back({p + "attn_output.weight", kHeadDim * kHeads, kEmbd, false});
    shapes.push_back({p + "ffn_norm.weight", kEmbd, 0, true});
    shapes.push_back({p + "ffn_gate.weight", kEmbd, kFeedForward, false});
    shapes.push_back({p + "ffn_up.weight", kEmbd, kFeedForward, false});
    shapes.push_back({p + "ffn_down.weight", kFeedForward, kEmbd, false});
  }
  std::size_t bytes = 0;
  for (const auto& s : shapes) bytes += static_cast<std::size_t>(s.ne0 * (s.ne1 ? s.ne1 : 1)) * sizeof(float);
  ggml_init_params gp{bytes + shapes.size() * ggml_tensor_overhead() + 1024, nullptr, false};
  std::unique_ptr<ggml_context, GgmlFree> mem(ggml_init(gp));
  if (!mem) throw std::runtime_error("ggml_init failed");

  std::mt19937 rng(opts.seed);
  std::normal_distribution<float> weight(0.0f, 0.5f);
  for (const auto& s : shapes) {
    ggml_tensor* t = s.ne1 ? ggml_new_tensor_2d(mem.get(), GGML_TYPE_F32, s.ne0, s.ne1)
                           : ggml_new_tensor_1d(mem.get(), GGML_TYPE_F32, s.ne0);
    ggml_set_name(t, s.name.c_str());
    auto* data = static_cast<float*>(t->data);
    for (int64_t i = 0; i < ggml_nelements(t); ++i) data[i] = s.norm ? 1.0f : weight(rng);
    gguf_add_tensor(out.get(), t);
  }
  if (!gguf_write_to_file(out.get(), path.c_str(), false)) throw std::runtime_error("cannot write " + path);
}

}  // namespace xz::test
