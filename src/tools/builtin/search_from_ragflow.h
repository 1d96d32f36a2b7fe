#pragma once
// search_from_ragflow(question): retrieves passages from RAGFlow knowledge bases
// (POST <base_url>/api/v1/retrieval with the API key and dataset ids, answering
// {"code":0,"data":{"chunks":[{"content",...}],...}}) and gives the LLM the best few.
// A RAGFlow error (code != 0) or an unreachable server is spoken as an error.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/plugin_config.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct RagflowSettings {
  std::string base_url;                  // e.g. http://192.168.0.8 (required)
  std::string api_key;                   // "ragflow-..." (required)
  std::vector<std::string> dataset_ids;  // at least one
  std::size_t max_chunks = 5;
  std::size_t max_chars = 4000;  // of the text handed to the LLM
  std::chrono::milliseconds timeout{10000};
  std::string description;

  static RagflowSettings from(const PluginConfig& cfg);
};

class SearchFromRagflow final : public Tool {
 public:
  SearchFromRagflow(RagflowSettings settings, std::shared_ptr<net::HttpClient> http);
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  RagflowSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
