#include "providers/asr/doubao_v2_wire.h"

#include <zlib.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "protocol/json_text.h"

namespace xz::providers::doubao_v2 {

namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::uint32_t get_u32(std::string_view b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

std::string frame(std::uint8_t type_flags, std::uint8_t serialization_compression, std::string_view payload) {
  if (payload.size() > 0xffffffffu) throw WireError("payload over 4 GiB");
  std::string out;
  out.reserve(8 + payload.size());
  out.push_back(static_cast<char>(0x11));
  out.push_back(static_cast<char>(type_flags));
  out.push_back(static_cast<char>(serialization_compression));
  out.push_back('\0');
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

}  // namespace

std::string gzip(std::string_view bytes) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw WireError("gzip: deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t n = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw WireError("gzip: deflate failed");
  out.resize(n);
  return out;
}

std::string gunzip(std::string_view data, std::size_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw WireError("gzip: inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw WireError(rc == Z_BUF_ERROR ? "gzip: data cut short" : "gzip: not gzip data");
    }
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      throw WireError(fmt::format("gzip: more than {} bytes inflated", max_bytes));
    }
  }
  inflateEnd(&z);
  return out;
}

Frame parse_frame(std::string_view b, std::size_t max_payload) {
  if (b.size() < 4) throw WireError(fmt::format("a frame of {} bytes, shorter than its header", b.size()));
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(b[i]); };
  if ((byte(0) >> 4) != 1) throw WireError(fmt::format("protocol version {}, not 1", byte(0) >> 4));
  const std::size_t header = static_cast<std::size_t>(byte(0) & 0x0f) * 4;
  if (header < 4 || header > b.size()) throw WireError("header size outside the frame");
  Frame f;
  f.type = byte(1) >> 4;
  f.flags = byte(1) & 0x0f;
  f.json = (byte(2) >> 4) == 1;
  const bool gzipped = (byte(2) & 0x0f) == 1;
  std::size_t at = header;
  auto need = [&](std::size_t n, const char* what) {
    if (b.size() - at < n) throw WireError(fmt::format("frame cut before its {}", what));
  };
  switch (f.type) {
    case kFullRequest:
    case kAudioOnly:
    case kFullResponse:
      break;
    case kServerAck:
      need(4, "sequence");
      f.sequence = static_cast<std::int32_t>(get_u32(b, at));
      at += 4;
      if (b.size() - at < 4) return f;  // an ACK without payload
      break;
    case kError:
      need(4, "error code");
      f.error_code = get_u32(b, at);
      at += 4;
      break;
    default:
      throw WireError(fmt::format("unknown message type {}", f.type));
  }
  need(4, "payload size");
  const std::uint32_t size = get_u32(b, at);
  at += 4;
  if (size != b.size() - at) throw WireError(fmt::format("payload size {} but {} bytes follow", size, b.size() - at));
  const std::string_view payload = b.substr(at);
  if (gzipped) {
    f.payload = gunzip(payload, max_payload);
  } else {
    if (payload.size() > max_payload) throw WireError("payload over the limit");
    f.payload = std::string(payload);
  }
  return f;
}

std::string encode_full_request(std::string_view json) { return frame(0x10, 0x11, gzip(json)); }
std::string encode_audio(std::string_view pcm, bool last) { return frame(last ? 0x22 : 0x20, 0x11, gzip(pcm)); }
std::string encode_response(std::string_view json) { return frame(0x90, 0x11, gzip(json)); }

std::string encode_error(std::uint32_t code, std::string_view json) {
  const std::string z = gzip(json);
  std::string out = {static_cast<char>(0x11), static_cast<char>(0xF0), static_cast<char>(0x11), '\0'};
  put_u32(out, code);
  put_u32(out, static_cast<std::uint32_t>(z.size()));
  out += z;
  return out;
}

Answer parse_answer(std::string_view text) {
  const nlohmann::json j = protocol::parse_json_text(text);
  if (!j.is_object() || !j.contains("code") || !j["code"].is_number_integer())
    throw WireError("the answer has no code: " + std::string(text.substr(0, 200)));
  Answer a;
  a.code = j["code"].get<long long>();
  if (auto m = j.find("message"); m != j.end() && m->is_string()) a.message = m->get<std::string>();
  if (auto r = j.find("result"); r != j.end() && r->is_array() && !r->empty() && (*r)[0].is_object()) {
    if (auto t = (*r)[0].find("text"); t != (*r)[0].end() && t->is_string()) a.text = t->get<std::string>();
  }
  return a;
}

}  // namespace xz::providers::doubao_v2
