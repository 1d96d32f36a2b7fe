#include "providers/vad/turn_end_policy.h"

#include <algorithm>
#include <array>
#include <span>

#include <fmt/format.h>

#include "providers/vad/vad_config.h"

namespace xz::providers {

namespace {

constexpr std::size_t kMaxTrailingWords = 256;
constexpr std::size_t kMaxWordBytes = 64;

constexpr std::array<std::string_view, 7> kSentenceEnds{".", "!", "?", "。", "！", "？", "．"};
// Trailing marks that say nothing about the end: the word before them decides.
constexpr std::array<std::string_view, 11> kSoftMarks{" ", "\t", "\r", "\n", "\u3000", ",", "，", "、", "…", "-", "—"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\''; }

bool ends_with_nocase(std::string_view text, std::string_view suffix) {
  if (suffix.size() > text.size()) return false;
  const auto tail = text.substr(text.size() - suffix.size());
  return std::equal(tail.begin(), tail.end(), suffix.begin(), suffix.end(),
                    [](char a, char b) { return lower(a) == lower(b); });
}

// `text` without its trailing `marks`.
std::string_view strip_tail(std::string_view text, std::span<const std::string_view> marks) {
  for (bool stripped = true; stripped && !text.empty();) {
    stripped = false;
    for (auto m : marks)
      if (text.ends_with(m)) {
        text.remove_suffix(m.size());
        stripped = true;
      }
  }
  return text;
}

bool is_ascii_word(std::string_view w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return ascii_letter(c) || c == ' '; });
}

}  // namespace

std::vector<std::string> default_trailing_words() {
  // Words that promise more; "啊" and "呢" end Chinese sentences, so they are not here.
  return {"um",   "uh",   "er",   "erm",  "hmm",  "and",  "but",  "or",   "so",   "because", "then",
          "嗯",   "呃",   "然后", "因为", "就是", "那个", "这个", "所以", "但是", "还有",    "而且",
          "或者", "如果"};
}

TurnEndPolicyOptions read_turn_end_options(const EngineConfig& cfg) {
  TurnEndPolicyOptions o;
  o.trailing_words = default_trailing_words();
  if (!cfg.is_object()) return o;  // vad_config_number already reported a bad section
  if (auto it = cfg.find("adaptive_end_of_turn"); it != cfg.end() && !it->is_null()) {
    if (!it->is_boolean()) throw EngineConfigError("adaptive_end_of_turn: must be true or false");
    o.enabled = it->get<bool>();
  }
  o.complete_sentence_samples =
      static_cast<std::uint64_t>(vad_config_number(cfg, "complete_sentence_silence_ms", 120, 0, 60'000) * 16);
  o.max_trailing_samples =
      static_cast<std::uint64_t>(vad_config_number(cfg, "max_trailing_silence_ms", 600, 0, 60'000) * 16);
  if (auto it = cfg.find("trailing_words"); it != cfg.end() && !it->is_null()) {
    if (!it->is_array()) throw EngineConfigError("trailing_words: must be a list of words");
    if (it->size() > kMaxTrailingWords)
      throw EngineConfigError(fmt::format("trailing_words: more than {} words", kMaxTrailingWords));
    o.trailing_words.clear();
    for (const auto& w : *it) {
      if (!w.is_string()) throw EngineConfigError("trailing_words: every entry must be a string");
      auto word = w.get<std::string>();
      if (word.empty() || word.size() > kMaxWordBytes)
        throw EngineConfigError(fmt::format("trailing_words: '{}' must be 1-{} bytes", word, kMaxWordBytes));
      o.trailing_words.push_back(std::move(word));
    }
  }
  return o;
}

TurnEndPolicy::TurnEndPolicy(TurnEndPolicyOptions opts, std::uint64_t min_silence_samples)
    : opts_(std::move(opts)), min_silence_(min_silence_samples) {}

TurnEndPolicy::Ending TurnEndPolicy::classify(std::string_view partial) const {
  const auto trimmed = strip_tail(partial, std::span<const std::string_view>(kSoftMarks.data(), 5));
  if (trimmed.empty()) return Ending::open;
  for (auto e : kSentenceEnds)
    if (trimmed.ends_with(e)) return Ending::complete;
  const auto text = strip_tail(trimmed, kSoftMarks);
  for (const auto& w : opts_.trailing_words) {
    if (!ends_with_nocase(text, w)) continue;
    // An English word must be the whole last word: "band" does not end in "and".
    if (is_ascii_word(w) && text.size() > w.size() && ascii_letter(text[text.size() - w.size() - 1])) continue;
    return Ending::trailing;
  }
  return Ending::open;
}

std::uint64_t TurnEndPolicy::end_silence(std::string_view partial) const {
  if (!opts_.enabled) return min_silence_;
  switch (classify(partial)) {
    case Ending::complete: return std::min(opts_.complete_sentence_samples, min_silence_);
    case Ending::trailing: return std::max(opts_.max_trailing_samples, min_silence_);
    case Ending::open: break;
  }
  return min_silence_;
}

}  // namespace xz::providers
