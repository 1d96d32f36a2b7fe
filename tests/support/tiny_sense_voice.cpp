#include "support/tiny_sense_voice.h"

#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "support/onnx_writer.h"
#include "support/speech.h"

namespace xz::test {

namespace {

using namespace onnx;

// ---------------------------------------------------------------- the model
constexpr int kVocab = 15;
constexpr int kMelBins = 80;
constexpr int kLfrWindow = 7;
constexpr int kFeat = kMelBins * kLfrWindow;
constexpr float kOn = 100.0f, kOff = -100.0f;

// tokens.txt, by id.
const std::array<std::string_view, kVocab> kTokens = {
    "<blank>", "<|zh|>",  "<|en|>",     "<|yue|>",  "<|ja|>", "<|ko|>", "<|HAPPY|>", "<|NEUTRAL|>",
    "<|Speech|>", "<|withitn|>", "<|woitn|>", "你", "好", "世", "界"};
constexpr int kHappy = 6, kSpeech = 8, kWithItn = 9, kWoItn = 10, kFirstText = 11;
// The tone that makes each text token heard.
constexpr std::array<double, 4> kToneHz = {300, 700, 1500, 3000};

double mel(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }

// The (fractional) index of the 80-bin mel filter centred on `hz`, as kaldi-native-fbank
// lays out sherpa-onnx's filters (20 Hz to 8 kHz).
double mel_bin(double hz) {
  const double lo = mel(20), hi = mel(8000), delta = (hi - lo) / (kMelBins + 1);
  return (mel(hz) - lo) / delta - 1;
}

// "v,v,...,v", n times: sherpa-onnx's list format for neg_mean and inv_stddev.
std::string repeated(std::string_view v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i) s += ',';
    s += v;
  }
  return s;
}

std::string model_bytes(const std::string& drop) {
  Proto g;
  // Text frames: the first fbank frame of each LFR window (x[..., 0:80]) scores each text
  // token by its tone's band minus the frame's mean; blank wins unless a band stands 2
  // (log-energy) above the mean.
  g.message(1, node("Slice", {"x", "slice_starts", "slice_ends", "slice_axes"}, "first_frame"));
  g.message(1, node("MatMul", {"first_frame", "band_weights"}, "band_scores"));
  g.message(1, node("Add", {"band_scores", "token_bias"}, "text_logits"));
  // Tag frames: language and text_norm pick their token, emotion and event are fixed.
  g.message(1, node("Unsqueeze", {"language", "axis1"}, "language_col"));
  g.message(1, node("Equal", {"language_col", "token_ids"}, "language_hot"));
  g.message(1, node("Where", {"language_hot", "on", "off"}, "language_scores"));
  g.message(1, node("Unsqueeze", {"language_scores", "axis1"}, "language_row"));
  g.message(1, node("Unsqueeze", {"text_norm", "axis1"}, "itn_col"));
  g.message(1, node("Equal", {"itn_col", "token_ids"}, "itn_hot"));
  g.message(1, node("Where", {"itn_hot", "on", "off"}, "itn_scores"));
  g.message(1, node("Unsqueeze", {"itn_scores", "axis1"}, "itn_row"));
  g.message(1, node("Mul", {"language_row", "zero"}, "zero_row"));
  g.message(1, node("Add", {"zero_row", "emotion_scores"}, "emotion_row"));
  g.message(1, node("Add", {"zero_row", "event_scores"}, "event_row"));
  g.message(1, node("Concat", {"language_row", "emotion_row", "event_row", "itn_row", "text_logits"}, "logits",
                    {{"axis", 1}}));
  g.bytes(2, "tiny_sense_voice");

  g.message(5, tensor<std::int64_t>("slice_starts", kInt64, {1}, {0}));
  g.message(5, tensor<std::int64_t>("slice_ends", kInt64, {1}, {kMelBins}));
  g.message(5, tensor<std::int64_t>("slice_axes", kInt64, {1}, {2}));
  std::vector<float> w(kMelBins * kVocab, 0.0f);
  for (std::size_t k = 0; k < kToneHz.size(); ++k) {
    const int token = kFirstText + static_cast<int>(k);
    const int centre = static_cast<int>(std::floor(mel_bin(kToneHz[k])));
    for (int b = 0; b < kMelBins; ++b) w[b * kVocab + token] -= 1.0f / kMelBins;
    for (int b = centre - 1; b <= centre + 2; ++b) w[b * kVocab + token] += 0.25f;
  }
  g.message(5, tensor<float>("band_weights", kFloat, {kMelBins, kVocab}, w));
  std::vector<float> bias(kVocab, -1000.0f);
  bias[0] = 2.0f;
  for (int t = kFirstText; t < kVocab; ++t) bias[t] = 0.0f;
  g.message(5, tensor<float>("token_bias", kFloat, {kVocab}, bias));
  g.message(5, tensor<std::int64_t>("axis1", kInt64, {1}, {1}));
  std::vector<std::int32_t> ids(kVocab);
  for (int i = 0; i < kVocab; ++i) ids[i] = i;
  g.message(5, tensor<std::int32_t>("token_ids", kInt32, {1, kVocab}, ids));
  g.message(5, tensor<float>("on", kFloat, {}, {kOn}));
  g.message(5, tensor<float>("off", kFloat, {}, {kOff}));
  g.message(5, tensor<float>("zero", kFloat, {}, {0.0f}));
  std::vector<float> emotion(kVocab, kOff), event(kVocab, kOff);
  emotion[kHappy] = kOn;
  event[kSpeech] = kOn;
  g.message(5, tensor<float>("emotion_scores", kFloat, {1, 1, kVocab}, emotion));
  g.message(5, tensor<float>("event_scores", kFloat, {1, 1, kVocab}, event));

  g.message(11, value_info("x", kFloat, {"N", "T", std::to_string(kFeat)}));
  g.message(11, value_info("x_length", kInt32, {"N"}));
  g.message(11, value_info("language", kInt32, {"N"}));
  g.message(11, value_info("text_norm", kInt32, {"N"}));
  g.message(12, value_info("logits", kFloat, {"N", "T4", std::to_string(kVocab)}));

  // What sherpa-onnx 1.13.8 reads for SenseVoice (offline-sense-voice-model.cc).
  std::map<std::string, std::string> meta = {
      {"model_type", "sense_voice_ctc"},
      {"comment", "tiny SenseVoice-shaped test model"},
      {"vocab_size", std::to_string(kVocab)},
      {"blank_id", "0"},
      {"lfr_window_size", std::to_string(kLfrWindow)},
      {"lfr_window_shift", "6"},
      {"normalize_samples", "0"},
      {"with_itn", std::to_string(kWithItn)},
      {"without_itn", std::to_string(kWoItn)},
      {"lang_auto", "1"},  // this model's "auto" hears Chinese
      {"lang_zh", "1"},
      {"lang_en", "2"},
      {"lang_yue", "3"},
      {"lang_ja", "4"},
      {"lang_ko", "5"},
      {"neg_mean", repeated("0", kFeat)},
      {"inv_stddev", repeated("1", kFeat)},
  };
  std::map<std::string, std::string> kept = meta;
  kept.erase(drop);
  return model(g, kept);
}

}  // namespace

TinySenseVoiceFiles write_tiny_sense_voice_without(const std::string& dir, const std::string& drop) {
  std::filesystem::create_directories(dir);
  TinySenseVoiceFiles files{dir, dir + "/model.onnx", dir + "/tokens.txt"};
  write_file(files.model, model_bytes(drop));
  std::string tokens;
  for (int i = 0; i < kVocab; ++i) tokens += std::string(kTokens[i]) + " " + std::to_string(i) + "\n";
  write_file(files.tokens, tokens);
  return files;
}

TinySenseVoiceFiles write_tiny_sense_voice(const std::string& dir) { return write_tiny_sense_voice_without(dir, ""); }

std::vector<std::int16_t> tone_speech(const std::string& text) {
  std::vector<std::vector<std::int16_t>> parts = {silence(0.3)};
  std::string_view rest = text;
  while (!rest.empty()) {
    bool found = false;
    for (std::size_t k = 0; k < kToneHz.size(); ++k) {
      const std::string_view ch = kTokens[kFirstText + k];
      if (rest.starts_with(ch)) {
        parts.push_back(tone(0.3, kToneHz[k]));
        parts.push_back(silence(0.2));
        rest.remove_prefix(ch.size());
        found = true;
        break;
      }
    }
    if (!found) throw std::invalid_argument("tone_speech: only 你 好 世 界 can be said");
  }
  parts.push_back(silence(0.1));
  return concat(std::move(parts));
}

}  // namespace xz::test
