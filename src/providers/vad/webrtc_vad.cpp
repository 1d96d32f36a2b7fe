#include "providers/vad/webrtc_vad.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "providers/vad/turn_end_policy.h"
#include "providers/vad/vad_config.h"
#include "providers/vad/vad_smoother.h"

// libwebrtc-audio-processing exports these but does not install webrtc_vad.h.
extern "C" {
typedef struct WebRtcVadInst VadInst;
VadInst* WebRtcVad_Create();
void WebRtcVad_Free(VadInst* handle);
int WebRtcVad_Init(VadInst* handle);
int WebRtcVad_set_mode(VadInst* handle, int mode);
int WebRtcVad_Process(VadInst* handle, int fs, const std::int16_t* audio_frame, std::size_t frame_length);
}

namespace xz::providers {

namespace {

constexpr int kRate = 16000;
constexpr std::size_t kFrame = 480;  // 30 ms

struct VadInstFree {
  void operator()(VadInst* v) const { WebRtcVad_Free(v); }
};
using VadHandle = std::unique_ptr<VadInst, VadInstFree>;

class WebRtcStream : public VadStream {
 public:
  explicit WebRtcStream(const WebRtcVadOptions& o) : opts_(o), vad_(WebRtcVad_Create()), smoother_({5, 3, o.min_silence_samples, o.pause_silence_samples}) {
    if (!vad_) throw std::runtime_error("webrtc vad: WebRtcVad_Create failed");
    init();
    pending_.reserve(kFrame);
  }

  boost::asio::awaitable<std::vector<VadEvent>> push(std::vector<std::int16_t> pcm) override {
    co_return process(pcm);
  }
  bool in_speech() const override { return smoother_.in_speech(); }
  void reset() override {
    init();
    pending_.clear();
    position_ = 0;
    smoother_.reset();
  }
  void hear_partial(std::string_view text) override {
    if (opts_.turn_end) smoother_.set_end_silence(opts_.turn_end->end_silence(text));
  }

 private:
  void init() {
    if (WebRtcVad_Init(vad_.get()) != 0 || WebRtcVad_set_mode(vad_.get(), opts_.mode) != 0)
      throw std::runtime_error("webrtc vad: init failed");
  }

  std::vector<VadEvent> process(std::span<const std::int16_t> pcm) {
    std::vector<VadEvent> events;
    while (!pcm.empty()) {
      std::span<const std::int16_t> frame;
      if (pending_.empty() && pcm.size() >= kFrame) {
        frame = pcm.first(kFrame);  // the common case: no copy
        pcm = pcm.subspan(kFrame);
      } else {
        const std::size_t n = std::min(kFrame - pending_.size(), pcm.size());
        pending_.insert(pending_.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(n));
        pcm = pcm.subspan(n);
        if (pending_.size() < kFrame) break;
        frame = pending_;
      }
      const int r = WebRtcVad_Process(vad_.get(), kRate, frame.data(), frame.size());
      if (r < 0) throw std::runtime_error("webrtc vad: WebRtcVad_Process failed");
      position_ += kFrame;
      if (auto e = smoother_.add(r == 1, position_)) events.push_back(*e);
      if (frame.data() == pending_.data()) pending_.clear();
    }
    return events;
  }

  WebRtcVadOptions opts_;
  VadHandle vad_;
  VadSmoother smoother_;
  std::vector<std::int16_t> pending_;  // < kFrame samples
  std::uint64_t position_ = 0;
};

WebRtcVadOptions read_options(const EngineConfig& cfg) {
  WebRtcVadOptions o;
  const double mode = vad_config_number(cfg, "mode", 2, 0, 3);
  if (mode != std::floor(mode)) throw EngineConfigError(fmt::format("mode: {} is not an integer 0-3", mode));
  o.mode = static_cast<int>(mode);
  o.min_silence_samples =
      static_cast<std::uint64_t>(vad_config_number(cfg, "min_silence_duration_ms", 200, 0, 60'000) * 16);
  o.pause_silence_samples = speculative_silence_samples(cfg, o.min_silence_samples);
  o.turn_end = std::make_shared<const TurnEndPolicy>(read_turn_end_options(cfg), o.min_silence_samples);
  return o;
}

}  // namespace

WebRtcVad::WebRtcVad(const EngineConfig& cfg, ProviderContext&) : opts_(read_options(cfg)) {}

std::unique_ptr<VadStream> WebRtcVad::open() { return std::make_unique<WebRtcStream>(opts_); }

}  // namespace xz::providers
