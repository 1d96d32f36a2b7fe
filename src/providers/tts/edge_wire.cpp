#include "providers/tts/edge_wire.h"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "protocol/encoding.h"

namespace xz::providers::edge {

namespace {

constexpr std::int64_t kWindowsEpochOffset = 11644473600;  // seconds from 1601-01-01 to 1970-01-01

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool is_lower_letters(std::string_view s) {
  for (char c : s)
    if (c < 'a' || c > 'z') return false;
  return !s.empty();
}

bool is_upper_letters(std::string_view s) {
  for (char c : s)
    if (c < 'A' || c > 'Z') return false;
  return !s.empty();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Control characters the service refuses, as spaces; & < > escaped.
std::string escaped_content(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 8 || u == 11 || u == 12 || (u >= 14 && u <= 31)) {
      out += ' ';
    } else if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

// Where a piece of at most max_bytes of `s` ends: after the last newline, else the last
// space, else at a UTF-8 character boundary; never inside an entity. At least 1.
std::size_t cut_point(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s.size();
  const std::string_view window = s.substr(0, max_bytes);
  std::size_t at = window.rfind('\n');
  if (at == std::string_view::npos || at == 0) at = window.rfind(' ');
  if (at == std::string_view::npos || at == 0) {
    at = max_bytes;
    while (at > 0 && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) --at;  // s[at] starts a character
  }
  // An '&' with no ';' after it before the cut: the entity would be split.
  const std::size_t amp = s.substr(0, at).rfind('&');
  if (amp != std::string_view::npos && s.substr(amp, at - amp).find(';') == std::string_view::npos) at = amp;
  return at == 0 ? std::min<std::size_t>(s.size(), max_bytes) : at;
}

std::uint16_t big_endian16(std::string_view b) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(b[0]) << 8) | static_cast<unsigned char>(b[1]));
}

}  // namespace

std::string sec_ms_gec(double unix_seconds) {
  const auto seconds = static_cast<std::int64_t>(std::floor(std::max(unix_seconds, 0.0))) + kWindowsEpochOffset;
  const auto ticks = static_cast<std::uint64_t>(seconds - seconds % 300) * 10'000'000ULL;  // 100-ns units
  std::string hex = protocol::hex_encode(protocol::sha256(std::to_string(ticks) + std::string(kTrustedClientToken)));
  for (auto& c : hex)
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  return hex;
}

std::string connect_url(std::string_view endpoint, std::string_view connection_id, std::string_view gec,
                        std::string_view gec_version) {
  const char sep = endpoint.find('?') == std::string_view::npos ? '?' : '&';
  return fmt::format("{}{}TrustedClientToken={}&ConnectionId={}&Sec-MS-GEC={}&Sec-MS-GEC-Version={}", endpoint, sep,
                     kTrustedClientToken, connection_id, gec, gec_version);
}

std::map<std::string, std::string> connect_headers(std::string_view muid) {
  return {
      {"Pragma", "no-cache"},
      {"Cache-Control", "no-cache"},
      {"Origin", "chrome-extension://jdiccldimpdaibmpdkjnbmckianbfold"},
      {"User-Agent",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/143.0.0.0 "
       "Safari/537.36 Edg/143.0.0.0"},
      {"Accept-Language", "en-US,en;q=0.9"},
      {"Cookie", fmt::format("muid={};", muid)},
  };
}

std::string js_date(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{} {} {:02} {} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)", kDays[tm.tm_wday],
                     kMonths[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::time_t> parse_http_date(std::string_view date) {
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  // "Tue, 14 Nov 2023 22:13:20 GMT": fixed positions.
  date = trim(date);
  if (date.size() != 29 || date[3] != ',' || date[4] != ' ' || date[7] != ' ' || date[11] != ' ' ||
      date[16] != ' ' || date[19] != ':' || date[22] != ':' || date.substr(25) != " GMT")
    return std::nullopt;
  auto number = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    const auto digits = date.substr(at, n);
    if (!is_digits(digits)) return std::nullopt;
    return std::stoi(std::string(digits));
  };
  const auto month = kMonths.find(date.substr(8, 3));
  const auto day = number(5, 2), year = number(12, 4), hour = number(17, 2), minute = number(20, 2),
             second = number(23, 2);
  if (month == std::string_view::npos || month % 3 != 0 || !day || !year || !hour || !minute || !second ||
      *day < 1 || *day > 31 || *year < 1970 || *hour > 23 || *minute > 59 || *second > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = static_cast<int>(month / 3);
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  return timegm(&tm);
}

std::optional<std::string> long_voice_name(std::string_view voice) {
  constexpr std::string_view kLongPrefix = "Microsoft Server Speech Text to Speech Voice (";
  if (voice.starts_with(kLongPrefix)) {
    const auto inner = voice.substr(kLongPrefix.size());
    const auto comma = inner.find(',');
    if (inner.ends_with(')') && comma != std::string_view::npos && comma > 0 && comma + 2 < inner.size())
      return std::string(voice);
    return std::nullopt;
  }
  // lang-REGION-NameNeural; a name with '-' moves its first part into the region.
  const auto first = voice.find('-');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = voice.find('-', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view lang = voice.substr(0, first);
  std::string region(voice.substr(first + 1, second - first - 1));
  std::string_view name = voice.substr(second + 1);
  if (lang.size() < 2 || !is_lower_letters(lang) || region.size() < 2 || !is_upper_letters(region) ||
      !name.ends_with("Neural") || name.size() <= 6)
    return std::nullopt;
  if (const auto dash = name.find('-'); dash != std::string_view::npos) {
    region += "-" + std::string(name.substr(0, dash));
    name = name.substr(dash + 1);
  }
  return fmt::format("{}{}-{}, {})", kLongPrefix, lang, region, name);
}

bool valid_percent(std::string_view s) {
  return s.size() >= 3 && (s[0] == '+' || s[0] == '-') && s.back() == '%' && is_digits(s.substr(1, s.size() - 2));
}

bool valid_hertz(std::string_view s) {
  return s.size() >= 4 && (s[0] == '+' || s[0] == '-') && s.ends_with("Hz") && is_digits(s.substr(1, s.size() - 3));
}

std::vector<std::string> ssml_text_chunks(std::string_view text, std::size_t max_bytes) {
  const std::string escaped = escaped_content(text);
  std::vector<std::string> out;
  std::string_view rest = escaped;
  max_bytes = std::max<std::size_t>(max_bytes, 8);  // room for the longest entity
  while (!rest.empty()) {
    const std::size_t at = cut_point(rest, max_bytes);
    const std::string_view piece = trim(rest.substr(0, at));
    if (!piece.empty()) out.emplace_back(piece);
    rest.remove_prefix(at);
  }
  return out;
}

std::string speech_config_message(std::string_view timestamp) {
  return fmt::format(
      "X-Timestamp:{}\r\nContent-Type:application/json; charset=utf-8\r\nPath:speech.config\r\n\r\n"
      R"({{"context":{{"synthesis":{{"audio":{{"metadataoptions":{{"sentenceBoundaryEnabled":"true",)"
      R"("wordBoundaryEnabled":"false"}},"outputFormat":"audio-24khz-48kbitrate-mono-mp3"}}}}}}}})"
      "\r\n",
      timestamp);
}

std::string ssml_message(std::string_view request_id, std::string_view timestamp, std::string_view long_voice,
                         const Prosody& prosody, std::string_view escaped_text) {
  // The 'Z' after the timestamp is Edge's own quirk.
  return fmt::format(
      "X-RequestId:{}\r\nContent-Type:application/ssml+xml\r\nX-Timestamp:{}Z\r\nPath:ssml\r\n\r\n"
      "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='en-US'>"
      "<voice name='{}'><prosody pitch='{}' rate='{}' volume='{}'>{}</prosody></voice></speak>",
      request_id, timestamp, long_voice, prosody.pitch, prosody.rate, prosody.volume, escaped_text);
}

std::map<std::string, std::string> parse_header_block(std::string_view block) {
  std::map<std::string, std::string> out;
  while (!block.empty()) {
    const auto eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 2);
    if (line.empty()) continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos)
      throw EdgeProtocolError(fmt::format("header line without ':' ({:.40})", line));
    out.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  return out;
}

TextPath parse_text_frame(std::string_view frame) {
  const auto end = frame.find("\r\n\r\n");
  if (end == std::string_view::npos) throw EdgeProtocolError("text frame without an end of headers");
  const auto headers = parse_header_block(frame.substr(0, end));
  const auto path = headers.find("Path");
  if (path == headers.end()) throw EdgeProtocolError("text frame without a Path");
  if (path->second == "turn.start") return TextPath::turn_start;
  if (path->second == "response") return TextPath::response;
  if (path->second == "audio.metadata") return TextPath::audio_metadata;
  if (path->second == "turn.end") return TextPath::turn_end;
  throw EdgeProtocolError(fmt::format("unknown path '{:.40}'", path->second));
}

AudioFrame parse_audio_frame(std::string_view frame) {
  if (frame.size() < 2) throw EdgeProtocolError("binary frame shorter than its header length");
  const std::size_t header_bytes = big_endian16(frame);
  if (header_bytes > frame.size() - 2) throw EdgeProtocolError("binary frame header longer than the frame");
  const auto headers = parse_header_block(frame.substr(2, header_bytes));
  const auto path = headers.find("Path");
  if (path == headers.end() || path->second != "audio") throw EdgeProtocolError("binary frame whose Path is not audio");
  AudioFrame out;
  out.audio = frame.substr(2 + header_bytes);
  const auto type = headers.find("Content-Type");
  if (type == headers.end()) {
    if (!out.audio.empty()) throw EdgeProtocolError("audio without a Content-Type");
    out.end_of_stream = true;
  } else if (type->second != "audio/mpeg") {
    throw EdgeProtocolError(fmt::format("audio of type '{:.40}' (audio/mpeg expected)", type->second));
  } else if (out.audio.empty()) {
    throw EdgeProtocolError("audio/mpeg frame without audio");
  }
  return out;
}

}  // namespace xz::providers::edge
