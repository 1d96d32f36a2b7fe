#include "providers/tts/http_speech.h"

#include <cctype>
#include <optional>

#include <fmt/format.h>

#include "protocol/python_json.h"
#include "providers/tts/engine_error.h"
#include "providers/tts/speech_output.h"

namespace xz::providers {

namespace {

void append_form_encoded(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_' || c == '.' || c == '-' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
}

// A scalar as Python's str() prints it; nullopt for null (left out).
std::optional<std::string> python_str(const nlohmann::json& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number_float()) return protocol::python_float_repr(v.get<double>());
  if (v.is_number()) return v.dump();
  return v.dump();  // a mapping: requests would send its keys; nobody configures that
}

}  // namespace

std::string python_query_string(const nlohmann::json& params) {
  std::string out;
  if (!params.is_object()) return out;
  for (auto it = params.begin(); it != params.end(); ++it) {
    const auto add = [&](const nlohmann::json& v) {
      auto text = python_str(v);
      if (!text) return;
      if (!out.empty()) out += '&';
      append_form_encoded(out, it.key());
      out += '=';
      append_form_encoded(out, *text);
    };
    if (it->is_array()) {
      for (const auto& v : *it) add(v);
    } else {
      add(*it);
    }
  }
  return out;
}

std::string with_query(const std::string& url, const std::string& query) {
  if (query.empty()) return url;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

HttpTtsClient::HttpTtsClient(std::string engine, const EngineConfig& cfg, ProviderContext& ctx,
                             double default_timeout_s)
    : engine_(std::move(engine)), timeouts_(llm_config::timeouts(cfg, default_timeout_s)), pool_(&ctx.pool) {
  net::HttpClientOptions opts;
  opts.ca_file = llm_config::opt_string(cfg, "ca_file").value_or("");
  try {
    http_ = std::make_unique<net::HttpClient>(opts);
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
  }
}

HttpTtsClient::~HttpTtsClient() = default;

net::HttpClientRequest HttpTtsClient::request(std::string method, std::string url) const {
  net::HttpClientRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.total_timeout = timeouts_.total;
  r.connect_timeout = timeouts_.connect;
  return r;
}

boost::asio::awaitable<void> HttpTtsClient::speak(HttpSpeech call, PcmSink& sink) {
  co_await with_engine_name(engine_, exchange(std::move(call), sink));
}

boost::asio::awaitable<void> HttpTtsClient::exchange(HttpSpeech call, PcmSink& sink) {
  int* status = call.status;
  SpeechOutput out(std::move(call.body), sink, *pool_);
  net::HttpBodyHandler on_body = [&out](std::string_view bytes) -> boost::asio::awaitable<bool> {
    co_return co_await out.push(bytes);
  };
  auto resp = co_await http_->stream(std::move(call.request), std::move(on_body));
  if (status) *status = resp.status;
  if (!resp.ok()) throw std::runtime_error(fmt::format("HTTP {}: {}", resp.status, vendor_error_message(resp.body)));
  if (out.stopped()) co_return;
  co_await out.finish();
  if (out.samples() == 0) throw std::runtime_error("the answer held no audio");
}

}  // namespace xz::providers
