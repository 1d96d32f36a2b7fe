#include "providers/asr/one_shot_asr.h"

#include <algorithm>
#include <stdexcept>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace xz::providers {

namespace {

class OneShotStream : public AsrStream {
 public:
  OneShotStream(std::shared_ptr<const OneShotRecognizer> r, std::string engine, std::size_t max_samples)
      : recognizer_(std::move(r)), engine_(std::move(engine)), max_samples_(max_samples) {}

  boost::asio::awaitable<void> push(std::vector<std::int16_t> pcm) override {
    const std::size_t room = max_samples_ - std::min(max_samples_, pcm_.size());
    const std::size_t kept = std::min(room, pcm.size());
    dropped_ += pcm.size() - kept;
    pcm_.insert(pcm_.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(kept));
    co_return;
  }

  boost::asio::awaitable<AsrResult> finish() override {
    if (dropped_ > 0) {
      spdlog::warn("{}: utterance longer than {} s, {} samples not sent", engine_, max_samples_ / kAsrRate, dropped_);
    }
    if (pcm_.empty()) co_return AsrResult{};
    std::vector<std::int16_t> pcm = std::move(pcm_);
    pcm_.clear();
    try {
      co_return co_await recognizer_->recognize(std::move(pcm));
    } catch (const boost::system::system_error& e) {
      if (e.code() == boost::asio::error::operation_aborted) throw;
      throw std::runtime_error(llm_config::named_message(engine_, e.what()));
    } catch (const std::exception& e) {
      throw std::runtime_error(llm_config::named_message(engine_, e.what()));
    }
  }

 private:
  std::shared_ptr<const OneShotRecognizer> recognizer_;
  std::string engine_;
  std::size_t max_samples_;
  std::vector<std::int16_t> pcm_;
  std::size_t dropped_ = 0;
};

}  // namespace

std::unique_ptr<AsrStream> make_one_shot_stream(std::shared_ptr<const OneShotRecognizer> recognizer,
                                                std::string engine, std::size_t max_samples) {
  return std::make_unique<OneShotStream>(std::move(recognizer), std::move(engine), max_samples);
}

std::size_t max_utterance_samples(const EngineConfig& cfg) {
  const double seconds = llm_config::opt_positive(cfg, "max_seconds").value_or(60.0);
  return static_cast<std::size_t>(seconds * kAsrRate);
}

std::string pcm_bytes(const std::vector<std::int16_t>& pcm) {
  std::string out;
  out.resize(pcm.size() * 2);
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    const auto v = static_cast<std::uint16_t>(pcm[i]);
    out[2 * i] = static_cast<char>(v & 0xff);
    out[2 * i + 1] = static_cast<char>(v >> 8);
  }
  return out;
}

AsrHttp::AsrHttp(std::string engine, const EngineConfig& cfg, ProviderContext& ctx, double default_timeout_s)
    : engine_(std::move(engine)), timeouts_(llm_config::timeouts(cfg, default_timeout_s)), pool_(&ctx.pool) {
  net::HttpClientOptions opts;
  opts.ca_file = llm_config::opt_string(cfg, "ca_file").value_or("");
  try {
    http_ = std::make_unique<net::HttpClient>(opts);
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
  }
}

AsrHttp::~AsrHttp() = default;

net::HttpClientRequest AsrHttp::request(std::string method, std::string url) const {
  net::HttpClientRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.total_timeout = timeouts_.total;
  r.connect_timeout = std::min(timeouts_.connect, timeouts_.total);
  r.max_response_bytes = 1 << 20;  // a transcript; more is not an answer
  return r;
}

boost::asio::awaitable<net::HttpClientResponse> AsrHttp::send(net::HttpClientRequest req,
                                                              DescribeError describe_error) const {
  auto resp = co_await http_->request(std::move(req));
  if (!resp.ok()) throw std::runtime_error(fmt::format("HTTP {}: {}", resp.status, describe_error(resp.body)));
  co_return resp;
}

}  // namespace xz::providers
