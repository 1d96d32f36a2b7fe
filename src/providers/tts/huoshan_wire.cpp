#include "providers/tts/huoshan_wire.h"

#include <fmt/format.h>

#include "protocol/byte_order.h"
#include "protocol/json_text.h"
#include "providers/tts/python_dumps.h"

namespace xz::providers::huoshan {

namespace {

constexpr std::uint8_t kFullClientRequest = 0x1;
constexpr std::uint8_t kFullServerResponse = 0x9;
constexpr std::uint8_t kAudioOnlyResponse = 0xB;
constexpr std::uint8_t kErrorInformation = 0xF;
constexpr std::uint8_t kFlagSequence = 0x1;
constexpr std::uint8_t kFlagEvent = 0x4;

bool carries_id(std::int32_t event) { return event >= 50; }

void put_string(std::string& out, std::string_view s) {
  protocol::be::put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

std::string header(std::uint8_t type, std::uint8_t flags, std::uint8_t serialization) {
  std::string out;
  out += char(0x11);
  out += char((type << 4) | flags);
  out += char(serialization << 4);
  out += char(0);
  return out;
}

std::string event_frame(std::uint8_t type, std::uint8_t serialization, std::int32_t event, std::string_view id,
                        std::string_view payload) {
  std::string out = header(type, kFlagEvent, serialization);
  protocol::be::put_u32(out, static_cast<std::uint32_t>(event));
  if (carries_id(event)) put_string(out, id);
  put_string(out, payload);
  return out;
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  std::uint32_t u32(const char* what) {
    if (b_.size() - at_ < 4) throw WireError(fmt::format("frame cut short in its {}", what));
    auto v = protocol::be::u32(b_, at_);
    at_ += 4;
    return v;
  }
  std::string_view bytes(std::size_t n, const char* what) {
    if (b_.size() - at_ < n) throw WireError(fmt::format("{} of {} bytes runs past the frame", what, n));
    auto v = b_.substr(at_, n);
    at_ += n;
    return v;
  }
  std::size_t left() const { return b_.size() - at_; }
  void skip(std::size_t n) { at_ += n; }

 private:
  std::string_view b_;
  std::size_t at_ = 0;
};

}  // namespace

std::string encode_request(std::int32_t event, std::string_view session_id, std::string_view payload) {
  return event_frame(kFullClientRequest, 0x1, event, session_id, payload);
}

std::string encode_event(std::int32_t event, std::string_view id, std::string_view json) {
  return event_frame(kFullServerResponse, 0x1, event, id, json);
}

std::string encode_audio(std::string_view session_id, std::string_view pcm) {
  return event_frame(kAudioOnlyResponse, 0x0, kTtsResponse, session_id, pcm);
}

std::string encode_error(std::uint32_t code, std::string_view json) {
  std::string out = header(kErrorInformation, 0, 0x1);
  protocol::be::put_u32(out, code);
  put_string(out, json);
  return out;
}

Frame parse_frame(std::string_view bytes) {
  if (bytes.size() < 4) throw WireError("frame shorter than its 4-byte header");
  const auto b0 = static_cast<std::uint8_t>(bytes[0]);
  const auto b1 = static_cast<std::uint8_t>(bytes[1]);
  const auto b2 = static_cast<std::uint8_t>(bytes[2]);
  if ((b0 >> 4) != 1) throw WireError(fmt::format("protocol version {} (expected 1)", b0 >> 4));
  const std::size_t header_bytes = 4u * (b0 & 0x0F);
  if (header_bytes < 4 || header_bytes > bytes.size()) throw WireError("bad header size");
  if ((b2 & 0x0F) != 0) throw WireError("compressed payloads are not supported");
  const std::uint8_t type = b1 >> 4;
  const std::uint8_t flags = b1 & 0x0F;
  Reader r(bytes);
  r.skip(header_bytes);
  Frame f;
  if (type == kErrorInformation) {
    f.kind = FrameKind::error;
    f.error_code = r.u32("error code");
    f.payload = std::string(r.bytes(r.u32("payload size"), "error payload"));
    return f;
  }
  if (type != kFullServerResponse && type != kAudioOnlyResponse && type != kFullClientRequest)
    throw WireError(fmt::format("unknown message type {:#x}", type));
  f.kind = type == kAudioOnlyResponse ? FrameKind::audio : FrameKind::event;
  if (flags & kFlagSequence) (void)r.u32("sequence");
  if (flags & kFlagEvent) f.event = static_cast<std::int32_t>(r.u32("event"));
  if (carries_id(f.event)) {
    const auto n = r.u32("id size");
    if (n > kMaxIdBytes) throw WireError(fmt::format("id of {} bytes", n));
    f.id = std::string(r.bytes(n, "id"));
  }
  f.payload = std::string(r.bytes(r.u32("payload size"), "payload"));
  if (r.left() != 0) throw WireError(fmt::format("{} bytes after the payload", r.left()));
  return f;
}

std::string request_payload(std::int32_t event, std::string_view text, const SessionParams& params) {
  nlohmann::ordered_json audio = params.audio_params.is_object() ? params.audio_params : nlohmann::ordered_json::object();
  audio.erase("sample_rate");
  audio.erase("format");
  audio["sample_rate"] = params.sample_rate;
  audio["format"] = "pcm";
  nlohmann::ordered_json req = nlohmann::ordered_json::object();
  req["text"] = std::string(text);
  req["speaker"] = params.speaker;
  req["audio_params"] = std::move(audio);
  req["additions"] = python_dumps(params.additions);
  if (params.mix_speaker.is_object() && !params.mix_speaker.empty()) req["mix_speaker"] = params.mix_speaker;
  nlohmann::ordered_json body = nlohmann::ordered_json::object();
  body["user"] = {{"uid", "1234"}};
  body["event"] = event;
  body["namespace"] = "BidirectionalTTS";
  body["req_params"] = std::move(req);
  return python_dumps(body);
}

std::string describe_payload(std::string_view json) {
  auto j = protocol::parse_json_text(json);
  if (j.is_object()) {
    std::string out;
    if (auto c = j.find("status_code"); c != j.end() && c->is_number_integer()) out = std::to_string(c->get<long long>());
    for (const char* key : {"message", "error"}) {
      if (auto m = j.find(key); m != j.end() && m->is_string()) {
        if (!out.empty()) out += ' ';
        out += m->get<std::string>().substr(0, 300);
        break;
      }
    }
    if (!out.empty()) return out;
  }
  return json.empty() ? std::string("(empty)") : std::string(json.substr(0, 300));
}

}  // namespace xz::providers::huoshan
