#include "providers/tts/sherpa_tts_checks.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace xz::providers::sherpa_tts {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// What `std::istream >> int32_t` accepts at the start of `s`: an optional sign and
// decimal digits that fit. The length consumed, or 0.
std::size_t int_prefix(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const std::size_t digits = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == digits) return 0;
  long long v = 0;
  auto sv = s.substr(s[0] == '+' ? 1 : 0, i - (s[0] == '+' ? 1 : 0));
  auto [p, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), v);
  if (ec != std::errc() || v < INT32_MIN || v > INT32_MAX) return 0;
  return i;
}

}  // namespace

std::optional<std::string> tokens_problem(std::string_view text) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    auto bad = [&](std::string_view why) {
      return fmt::format("line {}: {}: '{}'", line_no, why, line.substr(0, 60));
    };
    // `iss >> sym`: skips blanks, takes a word.
    std::size_t at = 0;
    while (at < line.size() && is_space(line[at])) ++at;
    if (at == line.size()) continue;  // a blank line leaves the stream at its end
    std::size_t end = at;
    while (end < line.size() && !is_space(line[end])) ++end;
    if (end == line.size()) {
      // "<id>" alone: sherpa-onnx takes it with atoi, whatever it is.
      continue;
    }
    // `iss >> id`: blanks, then an integer, then the end of the line exactly.
    std::size_t id_at = end;
    while (id_at < line.size() && is_space(line[id_at])) ++id_at;
    if (id_at == line.size()) continue;  // the id read fails at the end: sherpa-onnx goes on
    const std::size_t n = int_prefix(line.substr(id_at));
    if (n == 0) return bad("the id is not a whole number");
    if (id_at + n != line.size()) return bad("something after the id");
  }
  return std::nullopt;
}

std::optional<long> metadata_integer(const std::map<std::string, std::string>& meta, const std::string& key) {
  auto it = meta.find(key);
  if (it == meta.end() || it->second.empty()) return std::nullopt;
  // atoi: leading blanks, a sign, digits; anything else ends the number (0 when none).
  std::string_view s = it->second;
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  long long v = 0;
  const bool neg = !s.empty() && s.front() == '-';
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + (c - '0');
    if (v > INT32_MAX) v = INT32_MAX;  // atoi's overflow is undefined: treat it as huge
  }
  return static_cast<long>(neg ? -v : v);
}

VitsFrontend check_vits(const std::map<std::string, std::string>& meta, const VitsFiles& files) {
  auto text = [&](const char* key) -> std::string {
    auto it = meta.find(key);
    return it == meta.end() ? std::string() : it->second;
  };
  auto required = [&](const char* key) {
    if (text(key).empty())
      throw std::runtime_error(fmt::format("lacks the metadata '{}' sherpa-onnx's VITS loader needs", key));
  };
  for (const char* key : {"sample_rate", "n_speakers", "language", "comment"}) required(key);
  for (const char* key : {"sample_rate", "add_blank", "speaker_id", "version", "n_speakers", "jieba", "blank_id",
                          "bos_id", "eos_id", "use_eos_bos", "pad_id", "has_g2pw"}) {
    if (auto v = metadata_integer(meta, key); v && *v < 0)
      throw std::runtime_error(fmt::format("metadata '{}' is negative ({})", key, *v));
  }
  const long rate = *metadata_integer(meta, "sample_rate");
  if (rate < 1000 || rate > 384000)
    throw std::runtime_error(fmt::format("metadata 'sample_rate' is {} (1000-384000 expected)", rate));

  const std::string comment = text("comment");
  const bool melo = comment.find("melo") != std::string::npos;
  const bool phonemizer = comment.find("piper") != std::string::npos ||
                          comment.find("coqui") != std::string::npos ||
                          comment.find("icefall") != std::string::npos;
  if (melo && metadata_integer(meta, "version").value_or(0) < 2)
    throw std::runtime_error("is a MeloTTS model older than version 2; sherpa-onnx needs a newer export");
  const bool jieba = metadata_integer(meta, "jieba").value_or(0) != 0;
  if (jieba && !files.dict_dir)
    throw std::runtime_error("uses jieba (metadata jieba=1): its 'dict' directory is needed (dict_dir)");
  if (text("frontend") == "characters") return VitsFrontend::characters;
  if (jieba) {
    if (!files.lexicon) throw std::runtime_error("uses jieba: its lexicon.txt is needed (lexicon)");
    return VitsFrontend::jieba_lexicon;
  }
  if (melo && text("language") == "English") {
    if (!files.lexicon) throw std::runtime_error("is an English MeloTTS model: its lexicon.txt is needed (lexicon)");
    return VitsFrontend::melo_english;
  }
  if (phonemizer && files.data_dir) return VitsFrontend::espeak;
  if (!files.lexicon)
    throw std::runtime_error(
        "needs a lexicon.txt (lexicon), or espeak-ng-data (data_dir) for a piper, coqui or icefall model");
  const std::string language = lower(text("language"));
  if (language != "english" && language != "german" && language != "spanish" && language != "french" &&
      language != "chinese")
    throw std::runtime_error(fmt::format(
        "metadata 'language' is '{}': sherpa-onnx's lexicon knows English, German, Spanish, French and Chinese",
        text("language").substr(0, 40)));
  return VitsFrontend::lexicon;
}

}  // namespace xz::providers::sherpa_tts
