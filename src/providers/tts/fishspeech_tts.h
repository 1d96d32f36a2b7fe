#pragma once
// A self-hosted Fish Speech server (type `fishspeech`): its /v1/tts API with a
// MessagePack body (reference voices sent as audio bytes and their transcripts); the
// answer is audio, decoded as it arrives.
//
// Config keys (the reference's): api_url (default http://127.0.0.1:8080/v1/tts),
// api_key (a bearer token, when the server wants one), response_format (wav | mp3 | pcm,
// default wav), reference_id, reference_audio (alias ref_audio: files, a list or
// ';'-separated) and reference_text (alias ref_text: their transcripts, or text files),
// normalize (true), max_new_tokens (1024), chunk_length (200), top_p (0.7),
// repetition_penalty (1.2), temperature (0.7), streaming (false), use_memory_cache
// ("on"), seed (none), rate (of pcm answers, 44100). Ours: timeout (seconds, 60), ca_file.
#include <string>

#include <nlohmann/json.hpp>

#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class FishSpeechTts : public TtsEngine {
 public:
  FishSpeechTts(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  HttpTtsClient http_;
  std::string url_, api_key_;
  audio::AudioFormat format_;
  int rate_ = 44100;
  // The request without its text, in the field order of Fish Speech's ServeTTSRequest.
  nlohmann::ordered_json request_;
};

}  // namespace xz::providers
