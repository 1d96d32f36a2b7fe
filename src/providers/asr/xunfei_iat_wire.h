#pragma once
// iFlytek (Xunfei) Spark streaming recognition ("iat", xunfei_stream, spec §6B) as pure
// functions, for the engine and its local fake. The URL is signed as for Xunfei's TTS
// (providers/tts/xunfei_wire.h, §6A). Client frames are JSON with base64 PCM and
// header.status 0 (first), 1 (more), 2 (end, empty audio); server frames carry
// header.code/message/status and, base64-encoded, a JSON result whose ws[].cw[].w words
// are appended (the reference asks for no dynamic correction). header.status 2 ends the
// utterance.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xz::providers::xunfei_iat {

struct WireError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Params {
  std::string app_id;
  std::string domain = "slm";
  std::string language = "zh_cn";
  std::string accent = "mandarin";
  std::optional<int> eos_ms;  // the vendor's end-of-speech silence; unset = its default
};

// A client frame as the reference writes it (every frame carries `parameter`).
std::string client_frame(int status, std::string_view pcm, const Params& p);

struct ClientFrame {
  int status = -1;
  std::string app_id;
  std::string audio;  // decoded PCM
  int sample_rate = 0;
  bool has_parameter = false;
  std::string domain, language;
};
// For the fake; throws WireError on what is not such a frame.
ClientFrame parse_client_frame(std::string_view text);

struct ServerFrame {
  long long code = 0;
  std::string message;
  std::string sid;
  int status = 0;      // header.status
  std::string text;    // the words of this result, joined
  bool last = false;   // header.status 2, result.status 2 or ls
};
// Throws WireError on what is not such a frame (bad JSON, bad base64 or result JSON).
ServerFrame parse_server_frame(std::string_view text);
// A server frame as the service writes it (for the fake): `words` become one cw each.
std::string server_frame(long long code, std::string_view message, std::string_view sid, int status, int sn,
                         std::string_view words, bool last);

}  // namespace xz::providers::xunfei_iat
