#include "support/fake_manager_api.h"

#include <condition_variable>
#include <functional>
#include <algorithm>
#include <thread>

#include "core/async.h"
#include "core/runtime.h"
#include "net/http_server.h"

namespace xz::test {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

const std::string kPrefix = "/xiaozhi";

// A recorded path without the manager's /xiaozhi context.
bool under(const std::string& path, const std::string& prefix) { return path.starts_with(kPrefix + prefix); }

net::HttpResponse envelope(int code, std::string msg, json data = nullptr) {
  net::HttpResponse r;
  r.status = 200;  // the manager answers 200 even on errors
  r.content_type = "application/json";
  r.body = json{{"code", code}, {"msg", std::move(msg)}, {"data", std::move(data)}}.dump();
  return r;
}

}  // namespace

struct FakeManagerApi::Impl {
  mutable std::mutex mu;
  mutable std::condition_variable changed;
  std::vector<ManagerCall> calls;
  std::deque<ManagerAnswer> script;
  ManagerAnswer fallback;
  std::string secret;
  json server_base = json::object();
  std::map<std::string, json> agents;            // mac -> agent-models data
  std::map<std::string, std::string> bind_codes;  // mac -> 10042 code
  std::map<std::string, std::vector<std::string>> words;
  bool down = false;
  std::chrono::milliseconds delay{0};
  std::map<std::string, int> in_flight, max_in_flight;  // by route

  core::Runtime rt{1, 1};
  std::unique_ptr<net::HttpServer> server;

  // Records the call; the answer when the fake refuses it (down, bad secret), else null.
  std::optional<net::HttpResponse> intake(const net::HttpRequest& req, std::chrono::milliseconds& wait) {
    std::lock_guard lk(mu);
    calls.push_back({req.path, req.header("authorization"), req.header("content-type"), req.body,
                     json::parse(req.body, nullptr, false)});
    changed.notify_all();
    wait = delay;
    if (down) {
      net::HttpResponse r;
      r.status = 503;
      r.body = "manager unavailable";
      return r;
    }
    if (!secret.empty() && req.header("authorization") != "Bearer " + secret) return envelope(401, "unauthorized");
    return std::nullopt;
  }
};

FakeManagerApi::FakeManagerApi() : impl_(std::make_unique<Impl>()) {
  auto& d = *impl_;
  d.rt.start();
  auto router = std::make_shared<net::HttpRouter>();
  Impl* self = impl_.get();
  // Every route: record, maybe refuse, wait the delay, then answer with `answer`.
  auto route = [router, self](std::string path, std::function<net::HttpResponse(const net::HttpRequest&)> answer) {
    router->add("POST", kPrefix + path,
                [self, path, answer = std::move(answer)](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  std::chrono::milliseconds wait{0};
                  auto refused = self->intake(req, wait);
                  {
                    std::lock_guard lk(self->mu);
                    auto& n = self->in_flight[path];
                    self->max_in_flight[path] = std::max(self->max_in_flight[path], ++n);
                  }
                  if (wait.count() > 0) co_await core::sleep_for(wait);
                  {
                    std::lock_guard lk(self->mu);
                    --self->in_flight[path];
                  }
                  if (refused) co_return *refused;
                  co_return answer(req);
                });
  };
  route("/config/server-base", [self](const net::HttpRequest&) {
    std::lock_guard lk(self->mu);
    return envelope(0, "success", self->server_base);
  });
  route("/config/agent-models", [self](const net::HttpRequest& req) {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("macAddress") || !body["macAddress"].is_string())
      return envelope(500, "macAddress missing");
    const std::string mac = body["macAddress"].get<std::string>();
    std::lock_guard lk(self->mu);
    if (auto it = self->agents.find(mac); it != self->agents.end()) return envelope(0, "success", it->second);
    if (auto it = self->bind_codes.find(mac); it != self->bind_codes.end()) return envelope(10042, it->second);
    return envelope(10041, "device not found");
  });
  route("/config/correct-words", [self](const net::HttpRequest& req) {
    json body = json::parse(req.body, nullptr, false);
    const std::string mac = body.is_object() ? body.value("macAddress", "") : "";
    std::lock_guard lk(self->mu);
    json list = json::array();
    if (auto it = self->words.find(mac); it != self->words.end())
      for (const auto& w : it->second) list.push_back(w);
    return envelope(0, "success", list);
  });
  route("/agent/chat-history/report", [self](const net::HttpRequest&) {
    ManagerAnswer a;
    {
      std::lock_guard lk(self->mu);
      if (!self->script.empty()) {
        a = self->script.front();
        self->script.pop_front();
      } else {
        a = self->fallback;
      }
    }
    net::HttpResponse r;
    r.status = a.status;
    r.content_type = "application/json";
    r.body = a.body;
    return r;
  });
  route("/agent/chat-summary/{session}/save", [](const net::HttpRequest&) { return envelope(0, "success"); });
  route("/agent/chat-title/{session}/generate", [](const net::HttpRequest&) { return envelope(0, "success"); });

  net::HttpServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.max_body_bytes = 4 << 20;  // reports carry audio
  d.server = std::make_unique<net::HttpServer>(d.rt, o, router);
  d.server->start();
}

FakeManagerApi::~FakeManagerApi() {
  impl_->server->stop_accepting();
  impl_->rt.stop();
}

std::string FakeManagerApi::url() const { return "http://127.0.0.1:" + std::to_string(port()) + kPrefix; }
std::uint16_t FakeManagerApi::port() const { return impl_->server->port(); }

void FakeManagerApi::set_secret(std::string secret) {
  std::lock_guard lk(impl_->mu);
  impl_->secret = std::move(secret);
}
void FakeManagerApi::set_server_base(json data) {
  std::lock_guard lk(impl_->mu);
  impl_->server_base = std::move(data);
}
void FakeManagerApi::bind_device(const std::string& mac, const FakeAgent& agent) { set_agent_data(mac, agent_data(agent)); }
void FakeManagerApi::set_agent_data(const std::string& mac, json data) {
  std::lock_guard lk(impl_->mu);
  impl_->bind_codes.erase(mac);
  impl_->agents[mac] = std::move(data);
}
void FakeManagerApi::set_bind_code(const std::string& mac, std::string code) {
  std::lock_guard lk(impl_->mu);
  impl_->agents.erase(mac);
  impl_->bind_codes[mac] = std::move(code);
}
void FakeManagerApi::forget_device(const std::string& mac) {
  std::lock_guard lk(impl_->mu);
  impl_->agents.erase(mac);
  impl_->bind_codes.erase(mac);
}
void FakeManagerApi::set_correct_words(const std::string& mac, std::vector<std::string> words) {
  std::lock_guard lk(impl_->mu);
  impl_->words[mac] = std::move(words);
}
void FakeManagerApi::set_down(bool down) {
  std::lock_guard lk(impl_->mu);
  impl_->down = down;
}
void FakeManagerApi::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lk(impl_->mu);
  impl_->delay = delay;
}
void FakeManagerApi::script(std::vector<ManagerAnswer> answers) {
  std::lock_guard lk(impl_->mu);
  for (auto& a : answers) impl_->script.push_back(std::move(a));
}
void FakeManagerApi::set_fallback(ManagerAnswer a) {
  std::lock_guard lk(impl_->mu);
  impl_->fallback = std::move(a);
}

int FakeManagerApi::max_in_flight(const std::string& path) const {
  std::lock_guard lk(impl_->mu);
  auto it = impl_->max_in_flight.find(path);
  return it == impl_->max_in_flight.end() ? 0 : it->second;
}

std::vector<ManagerCall> FakeManagerApi::calls() const {
  std::lock_guard lk(impl_->mu);
  return impl_->calls;
}

std::vector<ManagerCall> FakeManagerApi::calls_to(const std::string& path_prefix) const {
  std::vector<ManagerCall> out;
  for (auto& c : calls())
    if (under(c.path, path_prefix)) out.push_back(std::move(c));
  return out;
}

bool FakeManagerApi::wait_for_calls(const std::string& path_prefix, std::size_t n,
                                    std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->changed.wait_for(lk, timeout, [&] {
    std::size_t seen = 0;
    for (const auto& c : impl_->calls) seen += under(c.path, path_prefix) ? 1 : 0;
    return seen >= n;
  });
}

json FakeManagerApi::agent_data(const FakeAgent& a) {
  const std::string llm_id = "LLM_" + a.llm_model;
  json plugins = json::object();
  for (const auto& f : a.functions) plugins[f] = "{}";
  json data = {
      {"device_max_output_size", "0"},
      {"chat_history_conf", a.chat_history_conf},
      {"plugins", plugins},
      {"LLM", {{llm_id, {{"type", "openai"}, {"base_url", a.llm_url}, {"api_key", "sk-fake"}, {"model_name", a.llm_model}}}}},
      {"TTS",
       {{"TTS_OpenAITTS",
         {{"type", "openai"},
          {"api_url", a.tts_url + "/audio/speech"},
          {"api_key", "sk-fake"},
          {"model", "tts-1"},
          {"voice", "alloy"},
          {"format", "pcm"},
          {"private_voice", a.voice},
          {"ttsVolume", 0},
          {"ttsRate", 0},
          {"ttsPitch", 0}}}}},
      {"Memory",
       {{a.memory, a.memory == "Memory_mem_local_short" ? json{{"type", "mem_local_short"}, {"llm", llm_id}}
                                                         : json{{"type", "nomem"}}}}},
      {"Intent", {{"Intent_function_call", {{"type", "function_call"}}}}},
      {"selected_module", {{"LLM", llm_id}, {"TTS", "TTS_OpenAITTS"}, {"Memory", a.memory}, {"Intent", "Intent_function_call"}}},
      {"prompt", a.prompt},
      {"summaryMemory", a.summary_memory ? json(*a.summary_memory) : json(nullptr)}};
  return data;
}

}  // namespace xz::test
