#pragma once
// iFlytek (Xunfei) Spark streaming recognition, `xunfei_stream` (spec §6A-6B): one
// WebSocket per utterance to a signed URL (HMAC-SHA256 over host, date and request line);
// JSON frames with base64 PCM, status 0 / 1 / 2; results are append-only words, and
// header.status 2 is the final answer. The vendor has no cancel message: a dropped
// utterance's socket is closed.
//
// Config keys (the reference's): app_id, api_key, api_secret, domain (slm), language
// (zh_cn), accent (mandarin), output_dir (accepted). Ours: endpoint (default
// wss://iat.cn-huabei-1.xf-yun.com/v1; the reference's ws:// form works too), eos
// (ms of silence after which the vendor ends the utterance; unset = its default),
// timeout (seconds, 10), ca_file.
#include <memory>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

class XunfeiStreamAsr : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key.
  XunfeiStreamAsr(const EngineConfig& cfg, ProviderContext& ctx);
  ~XunfeiStreamAsr() override;

  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

  struct Settings;

 private:
  std::shared_ptr<const Settings> settings_;
};

}  // namespace xz::providers
