#pragma once
// Volcengine's bidirectional TTS binary frames (huoshan_double_stream), as pure
// functions over bytes, for the engine and for its local fake:
//
//   byte 0  version 1 | header size in 4-byte words (1)
//   byte 1  message type << 4 | flags      client: 0x14 (full request, event present)
//   byte 2  serialization << 4 | compression                server: 0x94 event, 0xB4 audio, 0xF0 error
//   byte 3  reserved
//   [int32 sequence when flags & 1] [int32 event when flags & 4]
//   [int32 id length + id: connection events (>= 50) carry the connect id, session
//    events (>= 100) the session id; client connection events (1, 2) carry none]
//   int32 payload length + payload (JSON, or raw PCM in TTSResponse)
//   error frames (type 0xF): uint32 error code, uint32 length, JSON payload.
// All integers big-endian.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace xz::providers::huoshan {

enum Event : std::int32_t {
  kStartConnection = 1,
  kFinishConnection = 2,
  kConnectionStarted = 50,
  kConnectionFailed = 51,
  kConnectionFinished = 52,
  kStartSession = 100,
  kCancelSession = 101,
  kFinishSession = 102,
  kSessionStarted = 150,
  kSessionCanceled = 151,
  kSessionFinished = 152,
  kSessionFailed = 153,
  kTaskRequest = 200,
  kTtsSentenceStart = 350,
  kTtsSentenceEnd = 351,
  kTtsResponse = 352,
};

// Bytes that are not a frame of this protocol.
struct WireError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Ids longer than this are refused (the reference's are 32 hex digits or a UUID).
inline constexpr std::size_t kMaxIdBytes = 1024;

enum class FrameKind { event, audio, error };

struct Frame {
  FrameKind kind = FrameKind::event;
  std::int32_t event = 0;    // 0 when the frame carries none (error frames)
  std::string id;            // session id, or connect id for connection events
  std::string payload;       // JSON text, or raw audio for FrameKind::audio
  std::uint32_t error_code = 0;  // error frames
};

// Client -> server: a full request with an event (header 11 14 10 00). `session_id` is
// written for events >= 100 only.
std::string encode_request(std::int32_t event, std::string_view session_id, std::string_view payload);
// Server -> client frames, as the vendor writes them (for the fake and the tests).
std::string encode_event(std::int32_t event, std::string_view id, std::string_view json);
std::string encode_audio(std::string_view session_id, std::string_view pcm);
std::string encode_error(std::uint32_t code, std::string_view json);

// Any frame of either direction. Throws WireError naming what is wrong.
Frame parse_frame(std::string_view bytes);

// What a session asks for (the StartSession / TaskRequest payload's req_params).
struct SessionParams {
  std::string speaker;
  nlohmann::ordered_json audio_params = nlohmann::ordered_json::object();  // without sample_rate/format
  nlohmann::ordered_json additions = nlohmann::ordered_json::object();     // sent as a JSON string
  nlohmann::ordered_json mix_speaker = nlohmann::ordered_json::object();   // sent only when not empty
  int sample_rate = 24000;
};

// The reference's get_payload_bytes: {"user": {"uid": "1234"}, "event": N,
// "namespace": "BidirectionalTTS", "req_params": {...}} as json.dumps writes it.
std::string request_payload(std::int32_t event, std::string_view text, const SessionParams& params);

// The message of a JSON payload for logs ("45000001 bad speaker"): its status_code and
// message/error fields when present, else the text itself (cut to 300 bytes).
std::string describe_payload(std::string_view json);

}  // namespace xz::providers::huoshan
