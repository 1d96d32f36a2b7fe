#pragma once
// Volcengine's bigmodel streaming ASR ("sauc" v3, doubao_stream, spec §2A) as pure
// functions over bytes, for the engine and its local fake:
//
//   byte 0  version 1 << 4 | header size in 4-byte words (extensions follow when > 1)
//   byte 1  message type << 4 | flags (bit0: int32 sequence follows, bit1: last packet)
//   byte 2  serialization << 4 | compression (0 none, 1 gzip)
//   byte 3  reserved
//   error frames (type 0xF): uint32 code, uint32 size, payload
//   others: [int32 sequence when flags & 1] uint32 size, payload
// All integers big-endian. Client payloads are gzip (JSON request, PCM audio); the
// service answers uncompressed JSON, but a gzip answer is read too.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::providers::sauc {

struct WireError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum MessageType : std::uint8_t {
  kFullClientRequest = 0x1,
  kAudioOnlyRequest = 0x2,
  kFullServerResponse = 0x9,
  kServerAck = 0xB,
  kErrorResponse = 0xF,
};

// A payload may not inflate past this (a 60 ms packet is 1920 bytes; answers are small).
inline constexpr std::size_t kMaxPayloadBytes = 4u << 20;

struct Frame {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint8_t serialization = 0;
  std::uint8_t compression = 0;
  std::optional<std::int32_t> sequence;
  std::uint32_t error_code = 0;  // error frames
  std::string payload;           // decompressed
  bool last() const { return (flags & 0x2) != 0; }
};

// Any frame of either direction; throws WireError naming what is wrong.
Frame parse_frame(std::string_view bytes);

// gzip (RFC 1952) of bytes, and its inverse (bounded by kMaxPayloadBytes).
std::string gzip(std::string_view bytes);
std::string gunzip(std::string_view bytes);

// Client frames as the reference writes them: 11 10 11 00 (request), 11 20 11 00
// (audio), 11 22 11 00 + gzip("") (last packet).
std::string encode_full_request(std::string_view json);
std::string encode_audio(std::string_view pcm, bool last);

// Server frames as the service writes them (for the fake): 11 91 10 00 + sequence, or
// 11 93 10 00 with a negative sequence for the final answer; 11 F0 10 00 errors.
std::string encode_response(std::int32_t sequence, std::string_view json, bool last);
std::string encode_error(std::uint32_t code, std::string_view json);

struct RequestParams {
  std::string appid, access_token;
  std::string uid = "streaming_asr_service";
  std::string workflow = "audio_in,resample,partition,vad,fe,decode,itn,nlu_punctuate";
  std::string result_type = "single";
  int end_window_size = 200;
  std::string boosting_table_name, correct_table_name;
  std::string format = "pcm", codec = "pcm";
  int sample_rate = 16000, bits = 16, channel = 1;
  std::string language;  // sent only when multilingual
  bool multilingual = false;
};
// The full client request JSON in the reference's key order.
std::string request_json(const RequestParams& p, std::string_view reqid);

struct Utterance {
  std::string text;
  bool definite = false;
  long long start_time = -1, end_time = -1;
};
// What a response payload says.
struct Result {
  long long duration_ms = 0;
  std::string text;
  std::vector<Utterance> utterances;
  std::optional<long long> code;  // a payload's own code (legacy v2 answers)
  std::string error;              // "error": the service's fault
  std::string message;            // "message" (legacy answers name their code with it)
};
// Throws WireError when the payload is not a JSON object.
Result parse_result(std::string_view json);

}  // namespace xz::providers::sauc
