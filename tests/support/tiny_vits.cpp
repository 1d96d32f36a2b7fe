#include "support/tiny_vits.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "support/onnx_writer.h"

namespace xz::test {

namespace {

using namespace onnx;

// tokens.txt, by id. 0 is the blank add_blank inserts; sil starts and ends a sentence.
const std::vector<std::string> kTokens = {"_", "sil", "eos", "n", "i3", "h", "ao3", "sh", "i4", "j", "ie4"};
constexpr int kSil = 1, kEos = 2;
// lexicon.txt: each character's phones.
const std::vector<std::pair<std::string, std::vector<int>>> kLexicon = {
    {"你", {3, 4}}, {"好", {5, 6}}, {"世", {7, 8}}, {"界", {9, 10}}};
constexpr int kVocab = 11;

std::string model_bytes(const std::map<std::string, std::string>& changes) {
  Proto g;
  g.message(1, node("Gather", {"levels", "x"}, "per_token"));  // [1, T, K]
  g.message(1, node("Mul", {"per_token", "length_scale"}, "scaled"));
  g.message(1, node("Cast", {"sid"}, "sid_f", {{"to", kFloat}}));
  g.message(1, node("Mul", {"sid_f", "hundredth"}, "sid_level"));
  g.message(1, node("Add", {"scaled", "sid_level"}, "voiced"));
  // The other inputs are read (times 0), as a real VITS graph reads them.
  g.message(1, node("Cast", {"x_length"}, "x_length_f", {{"to", kFloat}}));
  g.message(1, node("Add", {"noise_scale", "noise_scale_w"}, "noises"));
  g.message(1, node("Add", {"noises", "x_length_f"}, "unused"));
  g.message(1, node("Mul", {"unused", "zero"}, "nothing"));
  g.message(1, node("Add", {"voiced", "nothing"}, "audio"));
  g.message(1, node("Reshape", {"audio", "y_shape"}, "y"));
  g.bytes(2, "tiny_vits");

  std::vector<float> levels(static_cast<std::size_t>(kVocab * kTinyVitsSamplesPerToken));
  for (int t = 0; t < kVocab; ++t)
    for (int k = 0; k < kTinyVitsSamplesPerToken; ++k) levels[t * kTinyVitsSamplesPerToken + k] = tiny_vits_level(t);
  g.message(5, tensor<float>("levels", kFloat, {kVocab, kTinyVitsSamplesPerToken}, levels));
  g.message(5, tensor<float>("hundredth", kFloat, {}, {0.01f}));
  g.message(5, tensor<float>("zero", kFloat, {}, {0.0f}));
  g.message(5, tensor<std::int64_t>("y_shape", kInt64, {3}, {1, 1, -1}));

  g.message(11, value_info("x", kInt64, {"1", "T"}));
  g.message(11, value_info("x_length", kInt64, {"1"}));
  g.message(11, value_info("noise_scale", kFloat, {"1"}));
  g.message(11, value_info("length_scale", kFloat, {"1"}));
  g.message(11, value_info("noise_scale_w", kFloat, {"1"}));
  g.message(11, value_info("sid", kInt64, {"1"}));
  g.message(12, value_info("y", kFloat, {"1", "1", "S"}));

  // What sherpa-onnx 1.13.8 reads for VITS (offline-tts-vits-model.cc), as a Chinese
  // lexicon model (vits-icefall-zh-aishell3's kind) has it.
  std::map<std::string, std::string> meta = {
      {"model_type", "vits"},
      {"comment", "tiny VITS-shaped test model"},
      {"language", "Chinese"},
      {"add_blank", "1"},
      {"n_speakers", "4"},
      {"sample_rate", std::to_string(kTinyVitsSampleRate)},
      {"punctuation", "， 。"},
  };
  for (const auto& [k, v] : changes) {
    if (v.empty()) meta.erase(k);
    else meta[k] = v;
  }
  return model(g, meta);
}

}  // namespace

float tiny_vits_level(std::int64_t t) { return 0.05f * static_cast<float>(t + 1); }

TinyVitsFiles write_tiny_vits(const std::string& dir, const std::map<std::string, std::string>& meta_changes) {
  std::filesystem::create_directories(dir);
  TinyVitsFiles files{dir, dir + "/model.onnx", dir + "/tokens.txt", dir + "/lexicon.txt"};
  write_file(files.model, model_bytes(meta_changes));
  std::string tokens;
  for (int i = 0; i < kVocab; ++i) tokens += kTokens[static_cast<std::size_t>(i)] + " " + std::to_string(i) + "\n";
  write_file(files.tokens, tokens);
  std::string lexicon;
  for (const auto& [word, ids] : kLexicon) {
    lexicon += word;
    for (int id : ids) lexicon += " " + kTokens[static_cast<std::size_t>(id)];
    lexicon += "\n";
  }
  write_file(files.lexicon, lexicon);
  return files;
}

std::vector<std::int64_t> tiny_vits_tokens(const std::string& text) {
  // lexicon.cc, Chinese: sil, each word's phones (punctuation without a token: sil), sil, eos.
  std::vector<std::int64_t> ids = {kSil};
  std::string_view rest = text;
  while (!rest.empty()) {
    bool found = false;
    for (const auto& [word, phones] : kLexicon) {
      if (rest.starts_with(word)) {
        ids.insert(ids.end(), phones.begin(), phones.end());
        rest.remove_prefix(word.size());
        found = true;
        break;
      }
    }
    for (std::string_view p : {"，", "。"}) {
      if (!found && rest.starts_with(p)) {
        ids.push_back(kSil);
        rest.remove_prefix(p.size());
        found = true;
      }
    }
    if (!found) throw std::invalid_argument("tiny_vits_tokens: only 你 好 世 界 ， 。");
  }
  ids.push_back(kSil);
  ids.push_back(kEos);
  // add_blank: the blank (0) around every token.
  std::vector<std::int64_t> out(ids.size() * 2 + 1, 0);
  for (std::size_t i = 0; i < ids.size(); ++i) out[2 * i + 1] = ids[i];
  return out;
}

std::vector<std::int16_t> tiny_vits_pcm(const std::vector<std::int64_t>& ids, int sid, float speed) {
  std::vector<std::int16_t> pcm;
  const float length_scale = 1.0f / speed;
  for (auto t : ids) {
    const float v = tiny_vits_level(t) * length_scale + 0.01f * static_cast<float>(sid);
    const auto s = static_cast<std::int16_t>(std::lround(std::clamp(v, -1.0f, 1.0f) * 32767.0f));
    pcm.insert(pcm.end(), kTinyVitsSamplesPerToken, s);
  }
  return pcm;
}

}  // namespace xz::test
