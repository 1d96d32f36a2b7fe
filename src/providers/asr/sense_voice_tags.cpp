#include "providers/asr/sense_voice_tags.h"

#include <array>
#include <utility>

namespace xz::providers {

namespace {

constexpr std::size_t kMaxTag = 32;

std::string_view trimmed(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// The length of the tag's inside when `s` starts with one, else npos.
std::size_t tag_at(std::string_view s) {
  if (!s.starts_with("<|")) return std::string_view::npos;
  const auto end = s.find("|>", 2);
  if (end == std::string_view::npos || end == 2 || end - 2 > kMaxTag) return std::string_view::npos;
  const auto inside = s.substr(2, end - 2);
  if (inside.find_first_of("<|>") != std::string_view::npos) return std::string_view::npos;
  return inside.size();
}

}  // namespace

TaggedText split_sense_voice_tags(std::string_view text) {
  // One pass, removing a tag as soon as its "|>" arrives: a tag that only forms once an
  // inner one is gone ("<|<|x|>a|>") goes too, so the text keeps no tag at all.
  TaggedText out;
  std::string rest;
  rest.reserve(text.size());
  for (char c : text) {
    rest += c;
    if (c != '>' || rest.size() < 5 || rest[rest.size() - 2] != '|') continue;
    const auto from = rest.rfind("<|", rest.size() - 3);
    if (from == std::string::npos) continue;
    const std::string_view tail = std::string_view(rest).substr(from);
    const auto n = tag_at(tail);
    if (n == std::string_view::npos || n + 4 != tail.size()) continue;
    out.tags.emplace_back(tail.substr(2, tail.size() - 4));
    rest.resize(from);
  }
  out.text = trimmed(rest);
  return out;
}

std::string tag_name(std::string_view tag) {
  tag = trimmed(tag);
  if (const auto n = tag_at(tag); n != std::string_view::npos && n + 4 == tag.size()) return std::string(tag.substr(2, n));
  return std::string(tag);
}

std::string_view sense_voice_emotion_emoji(std::string_view emotion) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kMap = {{
      {"HAPPY", "🙂"},
      {"SAD", "😔"},
      {"ANGRY", "😡"},
      {"NEUTRAL", "😶"},
      {"FEARFUL", "😰"},
      {"DISGUSTED", "🤢"},
      {"SURPRISED", "😲"},
      {"EMO_UNKNOWN", "😶"},
  }};
  for (const auto& [name, emoji] : kMap)
    if (name == emotion) return emoji;
  return emotion;
}

}  // namespace xz::providers
