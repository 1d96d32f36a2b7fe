#include "providers/llm/xinference_llm.h"

#include <stdexcept>

#include <boost/system/system_error.hpp>

#include "providers/llm/llm_config_wire.h"
#include "providers/llm/openai_llm.h"

namespace xz::providers {

EngineConfig xinference_openai_config(const EngineConfig& cfg) {
  llm_config::require_mapping(cfg);
  EngineConfig out = cfg;
  std::string base = llm_config::base_url(cfg, "base_url", nullptr, "http://localhost:9997");
  if (!base.ends_with("/v1")) base += "/v1";
  out["base_url"] = base;
  out.erase("url");  // the reference's xinference reads base_url only
  if (!llm_config::opt_string(cfg, "api_key")) out["api_key"] = "xinference";
  return out;
}

XinferenceLlm::XinferenceLlm(const EngineConfig& cfg, ProviderContext& ctx)
    : openai_(std::make_unique<OpenAiLlm>(xinference_openai_config(cfg), ctx)) {}

XinferenceLlm::~XinferenceLlm() = default;

boost::asio::awaitable<void> XinferenceLlm::chat(ChatRequest req, ChatSink sink) {
  try {
    co_await openai_->chat(std::move(req), std::move(sink));
  } catch (const boost::system::system_error&) {
    throw;  // cancellation (barge-in) passes unchanged
  } catch (const std::exception& e) {
    throw std::runtime_error(llm_config::named_message("Xinference", e.what()));
  }
}

}  // namespace xz::providers
