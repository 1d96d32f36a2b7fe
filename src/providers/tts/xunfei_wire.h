#pragma once
// iFlytek (Xunfei) super-human streaming TTS as pure functions (spec §6A, §6C): the
// signed WebSocket URL (HMAC-SHA256 over host, date and request line), the client
// frames (JSON, text base64-encoded, status 0 -> 1... -> 2) and the server frames
// (JSON, audio base64-encoded).
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace xz::providers::xunfei {

struct WireError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// application/x-www-form-urlencoded (Python's urlencode): spaces become '+'.
std::string form_encode(std::string_view s);
// "Tue, 14 Nov 2023 22:13:20 GMT" for a unix time.
std::string http_date(long long unix_seconds);

struct SignedUrl {
  std::string signature_origin;
  std::string signature;      // base64
  std::string authorization;  // base64 of the authorization line
  std::string url;
};
// base_url "wss://host/path" (host[:port] and path are taken from it).
SignedUrl sign_url(std::string_view base_url, std::string_view api_key, std::string_view api_secret,
                   std::string_view date);
// The fake's check of a signed upgrade (query decoded): empty when it is valid for
// `api_key`/`api_secret` at `host` and `path`, else why not (the vendor's 401 message).
std::string check_signed_request(std::string_view host, std::string_view path, std::string_view authorization,
                                 std::string_view date, std::string_view api_key, std::string_view api_secret);

struct TtsParams {
  std::string app_id;
  std::string voice = "x5_lingxiaoxuan_flow";
  int speed = 50, volume = 50, pitch = 50;
  std::string oral_level = "mid";
  int spark_assist = 1, stop_split = 0, remain = 0;
  int sample_rate = 24000;
};
// status 0 (start, text " "), 1 (a fragment), 2 (end, text " ").
std::string request(int status, int seq, std::string_view text, const TtsParams& p);

struct ServerFrame {
  int code = 0;
  std::string message;
  std::string sid;
  int status = 0;                    // header.status
  std::optional<int> audio_status;   // payload.audio.status, when there is audio
  std::string audio;                 // decoded PCM
  int sample_rate = 0;
};
// Throws WireError on what is not such a frame (bad JSON, bad base64).
ServerFrame parse_server_frame(std::string_view text);
// A server frame as the service writes it (for the fake); `pcm` is base64-encoded.
std::string make_server_frame(int code, std::string_view message, int status, int audio_status, std::string_view pcm,
                              int seq, int sample_rate = 24000);

// A client frame as the fake reads it.
struct ClientFrame {
  std::string app_id;
  int status = -1;
  int seq = 0;
  std::string text;  // decoded
  int sample_rate = 0;
  std::string voice;
};
ClientFrame parse_client_frame(std::string_view text);

}  // namespace xz::providers::xunfei
