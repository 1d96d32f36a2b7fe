#pragma once
// Volcengine's legacy v2 ASR frames (type `doubao`, cloud-speech-protocols.md §2B), as pure
// functions over bytes, for the engine, its local fake and the fuzz target:
//
//   byte 0  version 1 << 4 | header size in 4-byte words (the reader honours it)
//   byte 1  message type << 4 | flags     client: 0x10 full request, 0x20 audio, 0x22 last audio
//   byte 2  serialization << 4 | compression   (JSON 1, gzip 1: 0x11)
//   byte 3  reserved
//   full request / audio / full server response: uint32 payload size + payload
//   server ACK (0xB): int32 sequence [+ uint32 size + payload]
//   error (0xF): uint32 code + uint32 size + payload
// Integers big-endian; payloads gzip-compressed when the header says so.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xz::providers::doubao_v2 {

struct WireError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A decompressed payload larger than this is refused (a small gzip may expand a
// thousandfold); audio frames of the fake are bounded by the caller.
inline constexpr std::size_t kMaxPayloadBytes = 4 << 20;

enum MessageType : std::uint8_t {
  kFullRequest = 0x1,
  kAudioOnly = 0x2,
  kFullResponse = 0x9,
  kServerAck = 0xB,
  kError = 0xF,
};

struct Frame {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  bool json = false;
  std::uint32_t error_code = 0;  // error frames
  std::int32_t sequence = 0;     // server ACK frames
  std::string payload;           // decompressed
};

// Any frame of either direction. Throws WireError naming what is wrong.
Frame parse_frame(std::string_view bytes, std::size_t max_payload = kMaxPayloadBytes);

// Client frames, JSON + gzip as the reference sends them.
std::string encode_full_request(std::string_view json);
std::string encode_audio(std::string_view pcm, bool last);
// Server frames (for the fake): a full response with a gzip JSON payload, an error frame.
std::string encode_response(std::string_view json);
std::string encode_error(std::uint32_t code, std::string_view json);

// gzip of bytes, and back (at most max_bytes; WireError when not gzip, cut short or larger).
std::string gzip(std::string_view bytes);
std::string gunzip(std::string_view data, std::size_t max_bytes);

// What the engine reads of a JSON payload: its code, message and result[0].text.
struct Answer {
  long long code = 0;
  std::string message;
  std::string text;
};
// Throws WireError when the payload is not a JSON object with a numeric code.
Answer parse_answer(std::string_view json);

}  // namespace xz::providers::doubao_v2
