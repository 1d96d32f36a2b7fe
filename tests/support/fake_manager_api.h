#pragma once
// A local fake of the reference's manager-api (智控台) as the device server sees it
// (manager-console.md §2.6), on a real HTTP server on 127.0.0.1 (ephemeral port, own
// thread), under /xiaozhi like the real one. Every answer is the manager's envelope
// {"code","msg","data"} with HTTP 200, and every request is recorded:
//
//   POST /config/server-base         data = set_server_base(...)
//   POST /config/agent-models        per device (macAddress): an agent's data, 10042 with a
//                                    bind code, or 10041 (devices it does not know)
//   POST /config/correct-words       per device: ["原词|替换词", ...]
//   POST /agent/chat-history/report  scripted statuses, then {"code":0,...}
//   POST /agent/chat-summary/{sessionId}/save, /agent/chat-title/{sessionId}/generate
//
// With a secret set, requests without "Authorization: Bearer <secret>" get code 401.
// set_down(true) answers 503 to everything (the manager behind a proxy that lost it).
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::test {

struct ManagerCall {
  std::string path;  // as requested, with /xiaozhi
  std::string authorization;
  std::string content_type;
  std::string body;
  nlohmann::json json;  // the body when it is JSON, else discarded
};

struct ManagerAnswer {
  int status = 200;
  std::string body = R"({"code":0,"msg":"success","data":null})";
};

// One agent the way agent-models returns it: what the manager builds from the agent's
// models (config_json of each), voice, prompt and plugins.
struct FakeAgent {
  std::string prompt = "You are a helpful assistant.";
  std::string llm_url;              // an OpenAI-compatible base URL (a FakeOpenAi)
  std::string tts_url;              // an OpenAI-compatible base URL for /audio/speech
  std::string voice = "alloy";      // private_voice
  std::string llm_model = "gpt-4o-mini";
  int chat_history_conf = 2;
  std::string memory = "Memory_nomem";  // or Memory_mem_local_short
  std::optional<std::string> summary_memory{};
  std::vector<std::string> functions{};  // plugin ids, e.g. "get_time"
};

class FakeManagerApi {
 public:
  FakeManagerApi();
  ~FakeManagerApi();
  FakeManagerApi(const FakeManagerApi&) = delete;
  FakeManagerApi& operator=(const FakeManagerApi&) = delete;

  // The manager-api.url to configure (the reference's form, with /xiaozhi).
  std::string url() const;
  std::uint16_t port() const;

  // "" = no check (the default).
  void set_secret(std::string secret);
  void set_server_base(nlohmann::json data);
  // The agent-models data of a device, as the manager would build it from `agent`.
  void bind_device(const std::string& mac, const FakeAgent& agent);
  // The raw data agent-models answers for a device.
  void set_agent_data(const std::string& mac, nlohmann::json data);
  // The device is not bound: agent-models answers 10042 with this code.
  void set_bind_code(const std::string& mac, std::string code);
  void forget_device(const std::string& mac);  // 10041 again
  void set_correct_words(const std::string& mac, std::vector<std::string> words);
  void set_down(bool down);
  // The next requests are answered only after this delay.
  void set_delay(std::chrono::milliseconds delay);

  // chat-history/report: answers for the next reports, in order; then `fallback`.
  void script(std::vector<ManagerAnswer> answers);
  void set_fallback(ManagerAnswer a);

  // The most requests to one route (e.g. "/config/agent-models") that were open at once.
  int max_in_flight(const std::string& path) const;
  std::vector<ManagerCall> calls() const;
  // Calls whose path, after /xiaozhi, starts with the prefix ("/config/agent-models").
  std::vector<ManagerCall> calls_to(const std::string& path_prefix) const;
  // Waits until `n` calls to paths starting with the prefix arrived; false on timeout.
  bool wait_for_calls(const std::string& path_prefix, std::size_t n, std::chrono::milliseconds timeout) const;

  // The agent-models data FakeAgent describes (also what bind_device answers).
  static nlohmann::json agent_data(const FakeAgent& agent);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xz::test
