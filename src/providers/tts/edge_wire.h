#pragma once
// Microsoft Edge's read-aloud speech service as bytes (the protocol of the edge_tts
// library the reference uses): the Sec-MS-GEC token, the URL, the two messages a client
// sends, and the frames the service answers with. Pure functions; EdgeTts does the I/O.
#include <cstddef>
#include <ctime>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xz::providers::edge {

inline constexpr std::string_view kTrustedClientToken = "6A5AA1D4EAFF4E9FB37E23D68491D6F4";
inline constexpr std::string_view kEndpoint =
    "wss://speech.platform.bing.com/consumer/speech/synthesize/readaloud/edge/v1";
inline constexpr std::string_view kSecMsGecVersion = "1-143.0.3650.75";
// The service's limit per request; longer texts are spoken in several requests.
inline constexpr std::size_t kMaxSsmlTextBytes = 4096;

// A frame that breaks the protocol; what() says how.
struct EdgeProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Sec-MS-GEC for a moment in Unix seconds (the clock skew already added): SHA-256 of the
// Windows file time, floored to 5 minutes, followed by the client token; upper-case hex.
std::string sec_ms_gec(double unix_seconds);

// The WebSocket URL: `endpoint` (its own query kept) with the token, connection id and
// Sec-MS-GEC parameters.
std::string connect_url(std::string_view endpoint, std::string_view connection_id, std::string_view gec,
                        std::string_view gec_version = kSecMsGecVersion);

// The headers Edge itself sends with the upgrade; muid: 32 upper-case hex characters.
std::map<std::string, std::string> connect_headers(std::string_view muid);

// JavaScript's Date.toString() of a UTC moment, as Edge stamps its messages:
// "Tue Nov 14 2023 22:13:20 GMT+0000 (Coordinated Universal Time)".
std::string js_date(std::time_t t);

// An HTTP Date header ("Tue, 14 Nov 2023 22:13:20 GMT", RFC 9110's preferred form) as
// Unix seconds; std::nullopt when it is not one. The service's clock corrects ours.
std::optional<std::time_t> parse_http_date(std::string_view date);

// "zh-CN-XiaoxiaoNeural" -> "Microsoft Server Speech Text to Speech Voice (zh-CN, XiaoxiaoNeural)",
// "zh-CN-liaoning-XiaobeiNeural" -> "(zh-CN-liaoning, XiaobeiNeural)"; a long name is kept.
// std::nullopt for anything else (the service would answer with silence or an error).
std::optional<std::string> long_voice_name(std::string_view voice);

struct Prosody {
  std::string rate = "+0%";
  std::string volume = "+0%";
  std::string pitch = "+0Hz";
};
// "+N%" / "-N%" and "+NHz" / "-NHz", as the service accepts them.
bool valid_percent(std::string_view s);
bool valid_hertz(std::string_view s);

// The text as SSML content in pieces of at most max_bytes: control characters become
// spaces, & < > are escaped, and pieces end at a newline or space where there is one,
// never inside a UTF-8 character or an entity.
std::vector<std::string> ssml_text_chunks(std::string_view text, std::size_t max_bytes = kMaxSsmlTextBytes);

// The first message of a connection: ask for 24 kHz mono MP3 and sentence boundaries.
std::string speech_config_message(std::string_view timestamp);
// The synthesis request for one piece of escaped text (from ssml_text_chunks).
std::string ssml_message(std::string_view request_id, std::string_view timestamp, std::string_view long_voice,
                         const Prosody& prosody, std::string_view escaped_text);

// ---------------------------------------------------------------- server frames

// "Name:Value" lines separated by CRLF; empty lines are skipped. Throws on a line without ':'.
std::map<std::string, std::string> parse_header_block(std::string_view block);

enum class TextPath { turn_start, response, audio_metadata, turn_end };

// A text frame: a header block, an empty line, a JSON body. Throws EdgeProtocolError for
// a frame without the empty line or Path, or with a path the protocol does not have.
TextPath parse_text_frame(std::string_view frame);

struct AudioFrame {
  std::string_view audio;  // MP3 bytes, into the frame; empty for the end-of-stream frame
  bool end_of_stream = false;
};
// A binary frame: a big-endian 16-bit header length, the header block, the audio.
// Throws EdgeProtocolError unless the path is `audio` and the content type is audio/mpeg
// with audio, or absent without it.
AudioFrame parse_audio_frame(std::string_view frame);

}  // namespace xz::providers::edge
