#include "providers/asr/sauc_wire.h"

#include <zlib.h>

#include <array>

#include <fmt/format.h>

#include "protocol/json_text.h"
#include "tools/builtin/gzip_body.h"

namespace xz::providers::sauc {

namespace {

std::uint32_t read_u32(std::string_view b, std::size_t at) {
  return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint32_t(std::uint8_t(b[at + 3]));
}

void put_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

std::string header(std::uint8_t type, std::uint8_t flags, std::uint8_t serialization, std::uint8_t compression) {
  std::string h(4, '\0');
  h[0] = 0x11;
  h[1] = static_cast<char>((type << 4) | flags);
  h[2] = static_cast<char>((serialization << 4) | compression);
  return h;
}

std::string sized(std::string h, std::string_view payload) {
  put_u32(h, static_cast<std::uint32_t>(payload.size()));
  h.append(payload);
  return h;
}

}  // namespace

std::string gzip(std::string_view bytes) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  struct End {
    z_stream& z;
    ~End() { deflateEnd(&z); }
  } end{z};
  std::string out;
  std::array<unsigned char, 16384> buf;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  for (;;) {
    z.next_out = buf.data();
    z.avail_out = static_cast<uInt>(buf.size());
    const int rc = deflate(&z, Z_FINISH);
    out.append(reinterpret_cast<const char*>(buf.data()), buf.size() - z.avail_out);
    if (rc == Z_STREAM_END) return out;
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("gzip: deflate failed");
  }
}

std::string gunzip(std::string_view bytes) {
  try {
    return tools::builtin::gunzip(bytes, kMaxPayloadBytes);
  } catch (const std::runtime_error& e) {
    throw WireError(e.what());
  }
}

Frame parse_frame(std::string_view b) {
  if (b.size() < 4) throw WireError(fmt::format("a frame of {} bytes, shorter than its header", b.size()));
  const auto u = [&](std::size_t i) { return static_cast<std::uint8_t>(b[i]); };
  if ((u(0) >> 4) != 1) throw WireError(fmt::format("protocol version {}, not 1", u(0) >> 4));
  const std::size_t header_bytes = std::size_t(u(0) & 0x0F) * 4;
  if (header_bytes < 4) throw WireError("header size 0");
  if (b.size() < header_bytes) throw WireError("the frame is shorter than its header");
  Frame f;
  f.type = u(1) >> 4;
  f.flags = u(1) & 0x0F;
  f.serialization = u(2) >> 4;
  f.compression = u(2) & 0x0F;
  if (f.compression > 1) throw WireError(fmt::format("compression {} is not none or gzip", f.compression));
  std::size_t at = header_bytes;
  const auto need = [&](std::size_t n, const char* what) {
    if (b.size() - at < n) throw WireError(fmt::format("the frame ends inside its {}", what));
  };
  switch (f.type) {
    case kFullClientRequest:
    case kAudioOnlyRequest:
    case kFullServerResponse:
    case kServerAck:
      if (f.flags & 0x1) {
        need(4, "sequence");
        f.sequence = static_cast<std::int32_t>(read_u32(b, at));
        at += 4;
      }
      break;
    case kErrorResponse:
      need(4, "error code");
      f.error_code = read_u32(b, at);
      at += 4;
      break;
    default:
      throw WireError(fmt::format("message type {}", f.type));
  }
  // An ACK may end after its sequence.
  if (f.type == kServerAck && at == b.size()) return f;
  need(4, "payload size");
  const std::uint32_t size = read_u32(b, at);
  at += 4;
  if (b.size() - at < size) throw WireError(fmt::format("payload size {} but {} bytes follow", size, b.size() - at));
  const std::string_view payload = b.substr(at, size);
  f.payload = f.compression == 1 ? gunzip(payload) : std::string(payload);
  if (f.payload.size() > kMaxPayloadBytes) throw WireError("payload over the size limit");
  return f;
}

std::string encode_full_request(std::string_view json) { return sized(header(kFullClientRequest, 0, 1, 1), gzip(json)); }

std::string encode_audio(std::string_view pcm, bool last) {
  return sized(header(kAudioOnlyRequest, last ? 0x2 : 0x0, 1, 1), gzip(pcm));
}

std::string encode_response(std::int32_t sequence, std::string_view json, bool last) {
  std::string h = header(kFullServerResponse, last ? 0x3 : 0x1, 1, 0);
  put_u32(h, static_cast<std::uint32_t>(sequence));
  return sized(std::move(h), json);
}

std::string encode_error(std::uint32_t code, std::string_view json) {
  std::string h = header(kErrorResponse, 0, 1, 0);
  put_u32(h, code);
  return sized(std::move(h), json);
}

std::string request_json(const RequestParams& p, std::string_view reqid) {
  nlohmann::ordered_json audio = {{"format", p.format}, {"codec", p.codec},     {"rate", p.sample_rate},
                                  {"bits", p.bits},     {"channel", p.channel}, {"sample_rate", p.sample_rate}};
  if (p.multilingual && !p.language.empty()) audio["language"] = p.language;
  nlohmann::ordered_json j = {
      {"app", {{"appid", p.appid}, {"token", p.access_token}}},
      {"user", {{"uid", p.uid}}},
      {"request",
       {{"reqid", reqid},
        {"workflow", p.workflow},
        {"show_utterances", true},
        {"result_type", p.result_type},
        {"sequence", 1},
        {"end_window_size", p.end_window_size},
        {"corpus", {{"boosting_table_name", p.boosting_table_name}, {"correct_table_name", p.correct_table_name}}}}},
      {"audio", std::move(audio)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result parse_result(std::string_view text) {
  const nlohmann::json j = protocol::parse_json_text(text);
  if (!j.is_object()) throw WireError("the payload is not a JSON object");
  Result r;
  const auto str = [](const nlohmann::json& o, const char* k) -> std::string {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto num = [](const nlohmann::json& o, const char* k) -> std::optional<long long> {
    auto it = o.find(k);
    if (it == o.end() || !it->is_number()) return std::nullopt;
    if (!it->is_number_float()) return it->get<long long>();
    const double d = it->get<double>();
    if (!(d > -1e15 && d < 1e15)) return std::nullopt;
    return static_cast<long long>(d);
  };
  if (auto it = j.find("audio_info"); it != j.end() && it->is_object()) r.duration_ms = num(*it, "duration").value_or(0);
  r.code = num(j, "code");
  r.error = str(j, "error");
  r.message = str(j, "message");
  auto res = j.find("result");
  // Legacy answers put a list of {text} under result.
  if (res != j.end() && res->is_array() && !res->empty() && res->front().is_object()) r.text = str(res->front(), "text");
  if (res == j.end() || !res->is_object()) return r;
  r.text = str(*res, "text");
  if (auto us = res->find("utterances"); us != res->end() && us->is_array()) {
    for (const auto& u : *us) {
      if (!u.is_object()) continue;
      Utterance out;
      out.text = str(u, "text");
      auto d = u.find("definite");
      out.definite = d != u.end() && d->is_boolean() && d->get<bool>();
      out.start_time = num(u, "start_time").value_or(-1);
      out.end_time = num(u, "end_time").value_or(-1);
      r.utterances.push_back(std::move(out));
    }
  }
  return r;
}

}  // namespace xz::providers::sauc
