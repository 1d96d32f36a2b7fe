#include "providers/asr/openai_asr.h"

#include <cmath>
#include <random>
#include <stdexcept>

#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "net/http_client.h"
#include "protocol/json_text.h"
#include "providers/llm/llm_config_wire.h"

namespace xz::providers {

using json = nlohmann::json;

struct OpenAiAsr::Settings {
  std::string url;
  std::string api_key;
  std::string model;
  std::string language;  // "" = detect
  std::chrono::milliseconds timeout{30000};
  std::size_t max_samples = 60 * 16000;
};

namespace {

constexpr int kRate = 16000;

// Configuration reading: absent, null and "" (an unset ${ENV}) mean "not set".
using llm_config::opt_positive;
using llm_config::opt_string;

void put_le(std::string& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A canonical 44-byte-header WAV: PCM, 16-bit, mono.
void append_wav(std::string& out, const std::vector<std::int16_t>& pcm) {
  auto data_bytes = static_cast<std::uint32_t>(pcm.size() * 2);
  out += "RIFF";
  put_le(out, 36 + data_bytes, 4);
  out += "WAVEfmt ";
  put_le(out, 16, 4);
  put_le(out, 1, 2);  // PCM
  put_le(out, 1, 2);  // mono
  put_le(out, kRate, 4);
  put_le(out, kRate * 2, 4);
  put_le(out, 2, 2);   // block align
  put_le(out, 16, 2);  // bits
  out += "data";
  put_le(out, data_bytes, 4);
  for (auto s : pcm) put_le(out, static_cast<std::uint16_t>(s), 2);
}

std::string random_boundary() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("----xiaozhi{:016x}", rng());
}

std::string multipart_body(const std::string& boundary, const std::vector<std::int16_t>& pcm,
                           const OpenAiAsr::Settings& s) {
  std::string body;
  body.reserve(pcm.size() * 2 + 1024);
  auto field = [&](const char* name, const std::string& value) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  };
  body += "--" + boundary +
          "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"audio.wav\"\r\n"
          "Content-Type: audio/wav\r\n\r\n";
  append_wav(body, pcm);
  body += "\r\n";
  field("model", s.model);
  if (!s.language.empty()) field("language", s.language);
  body += "--" + boundary + "--\r\n";
  return body;
}

std::string api_error(const std::string& body) {
  auto j = protocol::parse_json_text(body);
  if (j.is_object()) {
    if (auto e = j.find("error"); e != j.end()) {
      if (e->is_string()) return e->get<std::string>();
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) return (*e)["message"];
    }
    if (auto m = j.find("message"); m != j.end() && m->is_string()) return m->get<std::string>();
  }
  return body.empty() ? "(empty body)" : body.substr(0, 300);
}

class OpenAiAsrStream : public AsrStream {
 public:
  OpenAiAsrStream(std::shared_ptr<const OpenAiAsr::Settings> s, std::shared_ptr<net::HttpClient> http,
                  boost::asio::thread_pool& pool)
      : s_(std::move(s)), http_(std::move(http)), pool_(pool) {}

  boost::asio::awaitable<void> push(std::vector<std::int16_t> pcm) override {
    std::size_t room = s_->max_samples - std::min(s_->max_samples, pcm_.size());
    if (pcm.size() > room) dropped_ += pcm.size() - room;
    pcm_.insert(pcm_.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(std::min(room, pcm.size())));
    co_return;
  }

  boost::asio::awaitable<AsrResult> finish() override {
    if (dropped_ > 0) {
      spdlog::warn("OpenAI ASR: utterance longer than {} s, {} samples not sent", s_->max_samples / kRate, dropped_);
    }
    if (pcm_.empty()) co_return AsrResult{};
    std::string boundary = random_boundary();
    std::vector<std::int16_t> pcm = std::move(pcm_);
    pcm_.clear();
    const OpenAiAsr::Settings& s = *s_;
    // Copying a long utterance into the body is megabytes of memcpy: not on the loop.
    // The job captures by reference: g++ 12 destroys a lambda that owns resources twice
    // when it is a temporary inside a co_await expression.
    auto build = [&pcm, &s, &boundary] { return multipart_body(boundary, pcm, s); };
    std::string body = co_await core::offload(pool_, build);

    net::HttpClientRequest req;
    req.method = "POST";
    req.url = s_->url;
    req.headers = {{"Content-Type", "multipart/form-data; boundary=" + boundary}, {"Accept", "application/json"}};
    if (!s_->api_key.empty()) req.headers.emplace_back("Authorization", "Bearer " + s_->api_key);
    req.body = std::move(body);
    req.total_timeout = s_->timeout;
    req.connect_timeout = std::min(req.connect_timeout, s_->timeout);
    req.max_response_bytes = 1 << 20;
    net::HttpClientResponse resp;
    try {
      resp = co_await http_->request(std::move(req));
    } catch (const boost::system::system_error& e) {
      if (e.code() == boost::asio::error::operation_aborted) throw;
      throw std::runtime_error(fmt::format("openai ASR ({}): {}", s_->url, e.what()));
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("openai ASR ({}): {}", s_->url, e.what()));
    }
    if (!resp.ok())
      throw std::runtime_error(fmt::format("openai ASR {} HTTP {}: {}", s_->model, resp.status, api_error(resp.body)));
    auto j = protocol::parse_json_text(resp.body);
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
      throw std::runtime_error("openai ASR: answer without a text field: " + resp.body.substr(0, 200));
    }
    AsrResult r;
    r.text = j["text"].get<std::string>();
    if (auto lang = j.find("language"); lang != j.end() && lang->is_string()) {
      r.language = lang->get<std::string>();
    } else {
      r.language = s_->language;
    }
    co_return r;
  }

 private:
  std::shared_ptr<const OpenAiAsr::Settings> s_;
  std::shared_ptr<net::HttpClient> http_;
  boost::asio::thread_pool& pool_;
  std::vector<std::int16_t> pcm_;
  std::size_t dropped_ = 0;
};

}  // namespace

OpenAiAsr::OpenAiAsr(const EngineConfig& cfg, ProviderContext& ctx) : pool_(&ctx.pool) {
  if (!cfg.is_object()) throw EngineConfigError("not a mapping");
  auto s = std::make_shared<Settings>();
  auto url = opt_string(cfg, "base_url");
  const char* url_key = "base_url";
  if (!url) {
    url = opt_string(cfg, "url");
    url_key = "url";
  }
  if (!url) throw EngineConfigError("base_url: missing (the full /audio/transcriptions URL)");
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    throw EngineConfigError(fmt::format("{}: not an http(s) URL: '{}'", url_key, *url));
  }
  s->url = *url;
  auto model = opt_string(cfg, "model_name");
  if (!model) throw EngineConfigError("model_name: missing");
  s->model = *model;
  s->api_key = opt_string(cfg, "api_key").value_or("");
  s->language = opt_string(cfg, "language").value_or("");
  if (s->language == "auto") s->language.clear();
  if (auto t = opt_positive(cfg, "timeout")) s->timeout = std::chrono::milliseconds(std::llround(*t * 1000));
  if (auto m = opt_positive(cfg, "max_seconds")) s->max_samples = static_cast<std::size_t>(*m * kRate);
  settings_ = std::move(s);

  net::HttpClientOptions http_opts;
  http_opts.ca_file = opt_string(cfg, "ca_file").value_or("");
  try {
    http_ = std::make_shared<net::HttpClient>(http_opts);
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
  }
}

OpenAiAsr::~OpenAiAsr() = default;

boost::asio::awaitable<std::unique_ptr<AsrStream>> OpenAiAsr::open() {
  co_return std::make_unique<OpenAiAsrStream>(settings_, http_, *pool_);
}

}  // namespace xz::providers
