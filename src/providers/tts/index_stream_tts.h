#pragma once
// An IndexTTS streaming server (type `index_stream`): one POST per sentence; the answer
// is raw 24 kHz 16-bit mono PCM, handed on as it arrives.
//
// Config keys (the reference's): api_url (default http://8.138.114.124:11996/tts, the
// reference's own), voice (the server's "character", default xiao_he; private_voice
// wins). Ours: sample_rate (of the answer, default 24000), timeout (seconds, default 10,
// as the reference), ca_file.
#include <string>

#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class IndexStreamTts : public TtsEngine {
 public:
  IndexStreamTts(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  HttpTtsClient http_;
  std::string url_, voice_;
  int sample_rate_ = 24000;
};

}  // namespace xz::providers
