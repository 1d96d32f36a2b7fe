#pragma once
// Aliyun Intelligent Speech Interaction (NLS) as pure functions, for aliyun_stream and
// its fake: the CreateToken request's POP signature (HMAC-SHA1 over the canonical
// query, spec §5A) and its answer, and the FlowingSpeechSynthesizer messages (§5C):
// StartSynthesis / RunSynthesis / StopSynthesis out, events with a header in.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::providers::aliyun {

struct WireError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// RFC 3986 percent-encoding (only A-Z a-z 0-9 - _ . ~ stay), as the reference's
// quote_plus with "+"->"%20", "*"->"%2A", "%7E"->"~".
std::string percent_encode(std::string_view s);

struct TokenRequest {
  std::string access_key_id;
  std::string access_key_secret;
  std::string nonce;      // SignatureNonce (a UUID string)
  std::string timestamp;  // UTC "%Y-%m-%dT%H:%M:%SZ"
};
// The canonical query (sorted, encoded), the string to sign and its signature.
std::string canonical_query(const TokenRequest& r);
std::string string_to_sign(const TokenRequest& r);
std::string signature(const TokenRequest& r);  // base64, not yet percent-encoded
// base_url ("http://nls-meta.cn-shanghai.aliyuncs.com/") + "?Signature=...&<canonical query>".
std::string token_url(std::string_view base_url, const TokenRequest& r);
// The query of a CreateToken request, decoded (for the fake): checks the signature with
// `secret`; the AccessKeyId on success, else why not.
struct TokenCheck {
  bool ok = false;
  std::string access_key_id;
  std::string why;
};
TokenCheck check_token_request(const std::vector<std::pair<std::string, std::string>>& query, std::string_view secret);

struct Token {
  std::string id;
  std::int64_t expire_time = 0;  // unix seconds
};
// CreateToken's answer: Token.Id and Token.ExpireTime (seconds, or an ISO
// "%Y-%m-%dT%H:%M:%SZ" string). Throws WireError naming what is missing (or the
// answer's Message/ErrMsg).
Token parse_token_answer(std::string_view body);

struct SynthesisParams {
  std::string appkey;
  std::string voice = "longxiaochun";
  std::string format = "pcm";
  int sample_rate = 24000;
  int volume = 50;
  int speech_rate = 0;
  int pitch_rate = 0;
};
// The client messages, as json.dumps writes them (message_id fresh per message).
std::string start_synthesis(const std::string& task_id, const std::string& message_id, const SynthesisParams& p);
std::string run_synthesis(const std::string& task_id, const std::string& message_id, const std::string& appkey,
                          std::string_view text);
std::string stop_synthesis(const std::string& task_id, const std::string& message_id, const std::string& appkey);

// A server event (or, for the fake, a client message): header fields and the payload.
struct Event {
  std::string name;       // SynthesisStarted, SentenceBegin, ..., TaskFailed
  std::string task_id;
  long long status = 0;
  std::string status_text;
  nlohmann::json payload;  // object or null
  nlohmann::json header;   // the whole header (the fake checks appkey, namespace)
};
// Throws WireError when the text is not such a message.
Event parse_event(std::string_view text);
// An event as the service writes it (for the fake).
std::string make_event(std::string_view name, std::string_view task_id, const nlohmann::json& payload = nullptr,
                       long long status = 20000000, std::string_view status_text = "Gateway:SUCCESS:Success.");

}  // namespace xz::providers::aliyun
