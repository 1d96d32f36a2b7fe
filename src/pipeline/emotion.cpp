#include "pipeline/emotion.h"

#include <algorithm>
#include <array>

#include "pipeline/speech_text.h"

namespace xz::pipeline {

namespace {

constexpr std::array<EmotionEntry, 21> kEmotions = {{
    {"neutral", "😶"},   {"happy", "🙂"},     {"laughing", "😆"},    {"funny", "😂"},
    {"sad", "😔"},       {"angry", "😠"},     {"crying", "😭"},      {"loving", "😍"},
    {"embarrassed", "😳"}, {"surprised", "😲"}, {"shocked", "😱"},   {"thinking", "🤔"},
    {"winking", "😉"},   {"cool", "😎"},      {"relaxed", "😌"},     {"delicious", "🤤"},
    {"kissy", "😘"},     {"confident", "😏"}, {"sleepy", "😴"},      {"silly", "😜"},
    {"confused", "🙄"},
}};

}  // namespace

std::span<const EmotionEntry> emotion_table() { return kEmotions; }

Emotion detect_emotion(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto len = decode_utf8(text, i).length;
    const auto ch = text.substr(i, len);
    auto hit = std::find_if(kEmotions.begin(), kEmotions.end(), [&](const EmotionEntry& e) { return e.emoji == ch; });
    if (hit != kEmotions.end()) return {std::string(hit->name), std::string(hit->emoji)};
    i += len;
  }
  return {"happy", "🙂"};
}

std::string emotion_list_for_prompt() {
  std::string out;
  for (const auto& e : kEmotions) {
    if (!out.empty()) out += ", ";
    out += e.emoji;
    out += ' ';
    out += e.name;
  }
  return out;
}

}  // namespace xz::pipeline
