#pragma once
// A self-hosted FunASR runtime server (type `fun_server`), as the reference drives it
// (cloud-speech-protocols.md §1): per utterance a new WebSocket, the start message
// (mode "offline"), the whole utterance as one binary message, {"is_speaking": false};
// the texts of the answers are joined until one says is_final (a missing is_final
// counts as final). A server that answers with is_final:false only (the C++ offline and
// Python servers) ends the answer by going quiet for `timeout` seconds, as in the
// reference. SenseVoice tags in the text become the language and emotion.
//
// Config keys (the reference's): host (localhost), port (10095), is_ssl (true: wss://,
// the certificate not checked, FunASR ships a self-signed one), api_key ("none", sent as
// "Authorization: Bearer; <key>"). Ours: endpoint (a whole ws:// or wss:// URL instead
// of host/port/is_ssl), timeout (seconds to wait for each answer, 5), connect_timeout
// (seconds, 10), max_seconds (60), ca_file (wss: check the certificate against this CA).
#include <memory>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

class OneShotRecognizer;

class FunServerAsr : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key.
  FunServerAsr(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

 private:
  std::shared_ptr<const OneShotRecognizer> recognizer_;
  std::size_t max_samples_;
};

}  // namespace xz::providers
