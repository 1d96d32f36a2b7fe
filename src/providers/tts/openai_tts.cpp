#include "providers/tts/openai_tts.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/http_client.h"
#include "protocol/json_text.h"
#include "providers/llm/llm_config_wire.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

// Configuration reading: absent, null and "" (an unset ${ENV}) mean "not set".
using llm_config::opt_positive;
using llm_config::opt_string;

std::string api_error(const std::string& body) {
  auto j = protocol::parse_json_text(body);
  if (j.is_object()) {
    if (auto e = j.find("error"); e != j.end()) {
      if (e->is_string()) return e->get<std::string>();
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) return (*e)["message"];
    }
    if (auto m = j.find("message"); m != j.end() && m->is_string()) return m->get<std::string>();
  }
  return body.empty() ? "(empty body)" : body.substr(0, 300);
}

std::uint32_t le(std::string_view b, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

// 16-bit little-endian frames to mono samples; a frame split between two network pieces
// (an odd trailing byte, half a stereo frame) waits for the next piece.
class PcmFrames {
 public:
  void set_channels(int channels) { channels_ = channels; }

  std::vector<std::int16_t> feed(std::string_view bytes) {
    std::vector<std::int16_t> out;
    const std::size_t frame = 2 * static_cast<std::size_t>(channels_);
    if (!carry_.empty()) {
      std::size_t take = std::min(frame - carry_.size(), bytes.size());
      carry_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (carry_.size() < frame) return out;
      emit(carry_, out);
      carry_.clear();
    }
    std::size_t whole = bytes.size() / frame * frame;
    emit(bytes.substr(0, whole), out);
    carry_.assign(bytes.substr(whole));
    return out;
  }

 private:
  void emit(std::string_view frames, std::vector<std::int16_t>& out) const {
    const std::size_t frame = 2 * static_cast<std::size_t>(channels_);
    out.reserve(out.size() + frames.size() / frame);
    for (std::size_t at = 0; at + frame <= frames.size(); at += frame) {
      int sum = 0;
      for (int c = 0; c < channels_; ++c) sum += static_cast<std::int16_t>(le(frames, at + 2 * c, 2));
      out.push_back(static_cast<std::int16_t>(sum / channels_));
    }
  }

  int channels_ = 1;
  std::string carry_;
};

// A WAV arriving in pieces: the header is parsed as it completes, then the data chunk
// is decoded as it streams (its size field is not trusted: streaming servers write 0
// or 0xFFFFFFFF there; the body's end is the data's end).
class WavStream {
 public:
  std::vector<std::int16_t> feed(std::string_view bytes) {
    while (state_ != State::data && !bytes.empty()) {
      if (state_ == State::skip) {
        std::size_t n = std::min<std::size_t>(skip_, bytes.size());
        skip_ -= n;
        bytes.remove_prefix(n);
        header_bytes_ += n;
        if (skip_ == 0) state_ = State::chunk_header;
        continue;
      }
      std::size_t need = state_ == State::riff ? 12 : state_ == State::chunk_header ? 8 : fmt_size_;
      std::size_t take = std::min(need - pending_.size(), bytes.size());
      pending_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      header_bytes_ += take;
      if (header_bytes_ > kMaxHeader) throw std::runtime_error("TTS: WAV header larger than 64 KiB");
      if (pending_.size() == need) step();
    }
    if (state_ != State::data) return {};
    return frames_.feed(bytes);
  }

  bool in_data() const { return state_ == State::data; }
  int sample_rate() const { return sample_rate_; }

 private:
  enum class State { riff, chunk_header, fmt, skip, data };
  static constexpr std::size_t kMaxHeader = 64 * 1024;

  void step() {
    std::string_view p = pending_;
    switch (state_) {
      case State::riff:
        if (p.substr(0, 4) != "RIFF" || p.substr(8, 4) != "WAVE") throw std::runtime_error("TTS: answer is not a WAV");
        state_ = State::chunk_header;
        break;
      case State::chunk_header: {
        std::string_view id = p.substr(0, 4);
        std::uint32_t size = le(p, 4, 4);
        if (id == "data") {
          if (sample_rate_ == 0) throw std::runtime_error("TTS: WAV data before its fmt chunk");
          state_ = State::data;
        } else if (id == "fmt ") {
          if (size < 16 || size > 1024) throw std::runtime_error("TTS: bad WAV fmt chunk");
          fmt_size_ = size + (size & 1);
          state_ = State::fmt;
        } else {
          skip_ = static_cast<std::size_t>(size) + (size & 1);
          state_ = skip_ ? State::skip : State::chunk_header;
        }
        break;
      }
      case State::fmt: {
        auto tag = le(p, 0, 2);
        int channels = static_cast<int>(le(p, 2, 2));
        int rate = static_cast<int>(le(p, 4, 4));
        int bits = static_cast<int>(le(p, 14, 2));
        if ((tag != 1 && tag != 0xFFFE) || bits != 16) {
          throw std::runtime_error(fmt::format("TTS: WAV must be 16-bit PCM (format {}, {} bits)", tag, bits));
        }
        if (channels < 1 || channels > 2 || rate < 8000 || rate > 192000) {
          throw std::runtime_error(fmt::format("TTS: unsupported WAV ({} channels, {} Hz)", channels, rate));
        }
        frames_.set_channels(channels);
        sample_rate_ = rate;
        state_ = State::chunk_header;
        break;
      }
      case State::skip:
      case State::data:
        break;
    }
    pending_.clear();
  }

  State state_ = State::riff;
  std::string pending_;
  std::size_t fmt_size_ = 16;
  std::size_t skip_ = 0;
  std::size_t header_bytes_ = 0;
  int sample_rate_ = 0;
  PcmFrames frames_;
};

}  // namespace

OpenAiTts::OpenAiTts(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  if (!cfg.is_object()) throw EngineConfigError("not a mapping");
  std::optional<std::string> url;
  const char* url_key = nullptr;
  for (const char* key : {"api_url", "url", "base_url"}) {
    if ((url = opt_string(cfg, key))) {
      url_key = key;
      break;
    }
  }
  if (!url) throw EngineConfigError("api_url: missing (the full /audio/speech URL)");
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    throw EngineConfigError(fmt::format("{}: not an http(s) URL: '{}'", url_key, *url));
  }
  url_ = *url;
  api_key_ = opt_string(cfg, "api_key").value_or("");
  model_ = opt_string(cfg, "model").value_or("tts-1");
  // The manager-api's per-agent voice wins, as in the reference.
  voice_ = opt_string(cfg, "private_voice").value_or(opt_string(cfg, "voice").value_or("alloy"));
  speed_ = opt_positive(cfg, "speed").value_or(1.0);
  if (speed_ < 0.25 || speed_ > 4.0) throw EngineConfigError("speed: must be between 0.25 and 4");
  if (auto format = opt_string(cfg, "response_format")) {
    if (*format != "pcm" && *format != "wav") {
      throw EngineConfigError(fmt::format("response_format: '{}' is not supported (pcm or wav)", *format));
    }
    wav_ = *format == "wav";
  } else if (auto format = opt_string(cfg, "format")) {
    // The reference's key: it always asks the API for WAV and `format` only names the
    // file it saves, so any of the API's formats means WAV; pcm is this server's own.
    static const std::set<std::string> kApiFormats = {"wav", "mp3", "opus", "aac", "flac", "pcm"};
    if (!kApiFormats.count(*format)) {
      throw EngineConfigError(fmt::format("format: '{}' is not supported (pcm, wav, mp3, opus, aac or flac)", *format));
    }
    wav_ = *format != "pcm";
  }
  if (auto r = opt_positive(cfg, "sample_rate")) pcm_rate_ = static_cast<int>(*r);
  if (auto t = opt_positive(cfg, "timeout")) timeout_ = std::chrono::milliseconds(std::llround(*t * 1000));

  net::HttpClientOptions http_opts;
  http_opts.ca_file = opt_string(cfg, "ca_file").value_or("");
  try {
    http_ = std::make_unique<net::HttpClient>(http_opts);
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
  }
}

OpenAiTts::~OpenAiTts() = default;

boost::asio::awaitable<void> OpenAiTts::synthesize(TtsRequest req, PcmSink sink) {
  if (req.text.find_first_not_of(" \t\r\n") == std::string::npos) co_return;
  json body = {{"model", model_},
               {"input", req.text},
               {"voice", req.voice.empty() ? voice_ : req.voice},
               {"speed", speed_},
               {"response_format", wav_ ? "wav" : "pcm"}};
  net::HttpClientRequest hr;
  hr.method = "POST";
  hr.url = url_;
  hr.headers = {{"Content-Type", "application/json"}};
  if (!api_key_.empty()) hr.headers.emplace_back("Authorization", "Bearer " + api_key_);
  hr.body = body.dump();
  hr.total_timeout = timeout_;
  hr.connect_timeout = std::min(hr.connect_timeout, timeout_);

  PcmFrames pcm;
  WavStream wav;
  bool stopped = false;
  net::HttpBodyHandler on_body = [&](std::string_view bytes) -> boost::asio::awaitable<bool> {
    PcmChunk chunk;
    chunk.samples = wav_ ? wav.feed(bytes) : pcm.feed(bytes);
    if (chunk.samples.empty()) co_return true;
    chunk.sample_rate = wav_ ? wav.sample_rate() : pcm_rate_;
    stopped = !co_await sink(std::move(chunk));
    co_return !stopped;
  };
  auto resp = co_await http_->stream(std::move(hr), std::move(on_body));
  if (!resp.ok()) throw std::runtime_error(fmt::format("TTS {} HTTP {}: {}", model_, resp.status, api_error(resp.body)));
  if (!stopped && wav_ && !wav.in_data()) throw std::runtime_error("TTS: WAV answer ended before its data");
}

}  // namespace xz::providers
