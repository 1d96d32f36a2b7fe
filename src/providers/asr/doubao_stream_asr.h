#pragma once
// Volcengine / Doubao bigmodel streaming recognition, `doubao_stream` (spec §2A): one
// WebSocket per utterance speaking the "sauc" v3 binary frames (sauc_wire.h), X-Api-*
// headers, gzip audio packets of one device frame each; a definite utterance is a final
// sentence, the answer to our last packet ends the utterance.
//
// Config keys (the reference's): appid, access_token, resource_id
// (volc.bigasr.sauc.duration), enable_multilingual (false; true selects the
// bigmodel_nostream endpoint and sends `language`), language, end_window_size (200 ms),
// boosting_table_name, correct_table_name, uid, workflow, result_type (single), format,
// codec (pcm), auth_method (token; anything else sends no X-Api-* credentials),
// output_dir, sample_rate/bits/channel and secret (accepted; audio is always 16 kHz
// s16 mono). Ours: endpoint (wss://openspeech.bytedance.com/api/v3/sauc/bigmodel_async;
// ws:// accepted), timeout (seconds, 10), ca_file.
#include <memory>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

class DoubaoStreamAsr : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key.
  DoubaoStreamAsr(const EngineConfig& cfg, ProviderContext& ctx);
  ~DoubaoStreamAsr() override;

  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

  struct Settings;

 private:
  std::shared_ptr<const Settings> settings_;
};

}  // namespace xz::providers
