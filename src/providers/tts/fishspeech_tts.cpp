#include "providers/tts/fishspeech_tts.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

namespace {

using ojson = nlohmann::ordered_json;

constexpr std::uintmax_t kMaxReferenceBytes = 20 * 1024 * 1024;

// A reference voice's file; empty (as the reference sends it) when there is none.
std::vector<std::uint8_t> reference_audio(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    spdlog::warn("FishSpeech TTS: reference audio '{}' cannot be read ({}); sending none", path, ec.message());
    return {};
  }
  if (size > kMaxReferenceBytes)
    throw EngineConfigError(fmt::format("reference_audio: '{}' is larger than 20 MiB", path));
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A transcript, or the text of the file it names.
std::string reference_text(const std::string& text) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(text, ec)) return text;
  if (std::filesystem::file_size(text, ec) > kMaxReferenceBytes)
    throw EngineConfigError(fmt::format("reference_text: '{}' is larger than 20 MiB", text));
  std::ifstream f(text, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

FishSpeechTts::FishSpeechTts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_("FishSpeech TTS", (llm_config::require_mapping(cfg), cfg), ctx, 60) {
  url_ = tts_config::endpoint(cfg, {"api_url"}, "http://127.0.0.1:8080/v1/tts", {"http", "https"});
  api_key_ = llm_config::opt_string(cfg, "api_key").value_or("");
  const std::string format = llm_config::opt_string(cfg, "response_format").value_or("wav");
  if (format != "wav" && format != "mp3" && format != "pcm")
    throw EngineConfigError(fmt::format("response_format: '{}' is not wav, mp3 or pcm", format));
  format_ = *audio::audio_format_from_name(format);
  if (auto r = llm_config::opt_integer(cfg, "rate", 1000)) rate_ = static_cast<int>(*r);

  const auto audios = tts_config::string_list(cfg, llm_config::find(cfg, "ref_audio") ? "ref_audio" : "reference_audio");
  const auto texts = tts_config::string_list(cfg, llm_config::find(cfg, "ref_text") ? "ref_text" : "reference_text");
  ojson references = ojson::array();
  for (std::size_t i = 0; i < std::min(audios.size(), texts.size()); ++i)
    references.push_back({{"audio", ojson::binary(reference_audio(audios[i]))}, {"text", reference_text(texts[i])}});

  const auto reference_id = llm_config::opt_string(cfg, "reference_id");
  const auto seed = llm_config::opt_integer(cfg, "seed", std::numeric_limits<long long>::min());
  const double top_p = llm_config::opt_number(cfg, "top_p").value_or(0.7);
  const double repetition_penalty = llm_config::opt_number(cfg, "repetition_penalty").value_or(1.2);
  const double temperature = llm_config::opt_number(cfg, "temperature").value_or(0.7);
  const long long chunk_length = llm_config::opt_integer(cfg, "chunk_length", 1).value_or(200);
  if (top_p < 0.1 || top_p > 1) throw EngineConfigError("top_p: must be between 0.1 and 1");
  if (temperature < 0.1 || temperature > 1) throw EngineConfigError("temperature: must be between 0.1 and 1");
  if (repetition_penalty < 0.9 || repetition_penalty > 2)
    throw EngineConfigError("repetition_penalty: must be between 0.9 and 2");
  request_ = {{"text", ""},
              {"chunk_length", chunk_length},
              {"format", format},
              {"references", std::move(references)},
              {"reference_id", reference_id ? ojson(*reference_id) : ojson(nullptr)},
              {"seed", seed ? ojson(*seed) : ojson(nullptr)},
              {"use_memory_cache", llm_config::opt_string(cfg, "use_memory_cache").value_or("on")},
              {"normalize", llm_config::opt_bool(cfg, "normalize").value_or(true)},
              {"streaming", llm_config::opt_bool(cfg, "streaming").value_or(false)},
              {"max_new_tokens", llm_config::opt_integer(cfg, "max_new_tokens", 1).value_or(1024)},
              {"top_p", top_p},
              {"repetition_penalty", repetition_penalty},
              {"temperature", temperature}};
}

boost::asio::awaitable<void> FishSpeechTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  ojson body = request_;
  body["text"] = req.text;
  const auto packed = ojson::to_msgpack(body);
  HttpSpeech call{http_.request("POST", url_), audio::make_audio_stream_decoder(format_, rate_)};
  call.request.headers = {{"Content-Type", "application/msgpack"}};
  if (!api_key_.empty()) call.request.headers.emplace_back("Authorization", "Bearer " + api_key_);
  call.request.body.assign(packed.begin(), packed.end());
  co_await http_.speak(std::move(call), sink);
}

}  // namespace xz::providers
