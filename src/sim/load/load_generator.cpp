#include "sim/load/load_generator.h"

#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "core/fd_limit.h"
#include "core/runtime.h"
#include "providers/tts/flite_tts.h"
#include "providers/vad/silero_vad.h"
#include "sim/load/load_device.h"
#include "sim/load/vad_calibration.h"

namespace xz::sim {

namespace asio = boost::asio;
using Json = nlohmann::json;
using namespace std::chrono_literals;

double epoch_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {

constexpr auto kProbePeriod = 10ms;
constexpr auto kTrailingSilence = 3000ms;  // uplink after the speech; repeats past its end

// Milestones of the run, written from the loops, read by the main thread.
class Progress {
 public:
  explicit Progress(std::size_t devices) : devices_(devices) {}

  void settled(bool ok) {
    std::lock_guard lk(mu_);
    ++settled_;
    if (!ok) ++failed_;
    if (settled_ == devices_) all_settled_ms_ = epoch_ms();
    check_ramp();
    cv_.notify_all();
  }
  void first_turn() {
    std::lock_guard lk(mu_);
    ++turning_;
    check_ramp();
  }
  void done(bool full) {
    std::lock_guard lk(mu_);
    ++done_;
    if (full && !first_done_ms_) first_done_ms_ = epoch_ms();
    cv_.notify_all();
  }
  void wait_settled() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return settled_ == devices_; });
  }
  void wait_done() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return done_ == devices_; });
  }
  Json milestones() const {
    std::lock_guard lk(mu_);
    auto opt = [](const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); };
    return {{"all_settled_ms", opt(all_settled_ms_)}, {"ramp_done_ms", opt(ramp_done_ms_)},
            {"first_done_ms", opt(first_done_ms_)}};
  }
  std::size_t failed() const {
    std::lock_guard lk(mu_);
    return failed_;
  }

 private:
  // Every device is either in its turns or gone: the load is at full strength.
  void check_ramp() {
    if (!ramp_done_ms_ && turning_ + failed_ == devices_) ramp_done_ms_ = epoch_ms();
  }

  const std::size_t devices_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::size_t settled_ = 0, failed_ = 0, turning_ = 0, done_ = 0;
  std::optional<double> all_settled_ms_, ramp_done_ms_, first_done_ms_;
};

asio::awaitable<void> probe(LoadLoop& loop, const std::atomic<bool>& stop) {
  asio::steady_timer timer(loop.ex);
  auto due = Clock::now() + kProbePeriod;
  while (!stop.load()) {
    timer.expires_at(due);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    const auto now = Clock::now();
    loop.metrics.loop_lateness_ms.add(std::chrono::duration<double, std::milli>(now - due).count());
    due = now + kProbePeriod;  // each wait on its own: one stall is one late sample
  }
  --loop.alive;
}

asio::awaitable<void> spawn_devices(LoadLoop& loop, std::size_t first, std::size_t step, std::size_t total,
                                    Clock::time_point t0, double rate, Progress& progress) {
  asio::steady_timer timer(loop.ex);
  for (std::size_t i = first; i < total; i += step) {
    if (rate > 0) {
      timer.expires_at(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(i) / rate)));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    DeviceEvents events;
    events.settled = [&progress](bool ok) { progress.settled(ok); };
    events.first_turn_started = [&progress] { progress.first_turn(); };
    events.done = [&progress](bool completed) { progress.done(completed); };
    auto device = std::make_shared<LoadDevice>(loop, i, std::move(events));
    asio::co_spawn(loop.ex, LoadDevice::run(std::move(device)), asio::detached);
  }
}

asio::awaitable<std::vector<std::int16_t>> speak_with_flite(providers::FliteTts& tts, std::string text) {
  std::vector<std::int16_t> pcm;
  providers::PcmSink sink = [&pcm](providers::PcmChunk c) -> asio::awaitable<bool> {
    pcm.insert(pcm.end(), c.samples.begin(), c.samples.end());
    co_return true;
  };
  providers::TtsRequest req{std::move(text), "", ""};
  co_await tts.synthesize(std::move(req), std::move(sink));
  co_return pcm;
}

Json process_usage() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return {{"cpu_user_s", secs(ru.ru_utime)}, {"cpu_system_s", secs(ru.ru_stime)}, {"max_rss_kib", ru.ru_maxrss}};
}

Json options_json(const LoadOptions& o) {
  Json j = {{"mode", to_string(o.mode)},     {"devices", o.devices},      {"rate", o.rate},
            {"loops", o.loops},              {"url", o.url},              {"ota", !o.ota_url.empty()},
            {"transport", o.transport == LoadTransport::mqtt ? "mqtt" : "websocket"},
            {"protocol", o.protocol_version}, {"spread_hosts", o.spread_hosts}, {"board_tools", o.board_tools}};
  if (o.mode == LoadMode::idle) {
    if (o.hold_each_s)
      j["hold_each_s"] = *o.hold_each_s;
    else
      j["hold_s"] = o.hold_s;
  } else {
    j["turns"] = o.turns;
    j["utterance"] = o.utterance;
    j["think_ms"] = o.think.count();
    if (o.pause.count() > 0) j["pause_ms"] = o.pause.count();
    j["reply_timeout_ms"] = o.reply_timeout.count();
    j["provider_delay_ms"] = o.provider_delay_ms;
    if (o.mode == LoadMode::barge_in) j["abort_after_ms"] = o.abort_after.count();
  }
  return j;
}

}  // namespace

LoadGenerator::LoadGenerator(LoadOptions opts) : opts_(std::move(opts)) {}

Json LoadGenerator::run() {
  const auto fd = core::raise_fd_limit();
  const Json started_usage = process_usage();
  core::Runtime rt(opts_.loops, 1);
  rt.start();

  UplinkClip clip;
  TurnPlan plan;
  Json plan_json = nullptr;
  if (opts_.mode != LoadMode::idle) {
    providers::ProviderContext ctx{rt.pool(), "data"};
    providers::FliteTts tts(providers::EngineConfig::object(), ctx);
    std::vector<std::int16_t> speech;
    if (opts_.pause.count() > 0) {
      // Each part without its synthesizer padding, so the pause is the one asked for.
      std::size_t from = 0;
      for (;;) {
        const auto bar = opts_.utterance.find('|', from);
        auto part = asio::co_spawn(rt.loop(0), speak_with_flite(tts, opts_.utterance.substr(from, bar - from)),
                                   asio::use_future).get();
        if (!speech.empty()) speech.resize(speech.size() + static_cast<std::size_t>(opts_.pause.count()) * 16, 0);
        auto voiced = trim_silence(part);
        speech.insert(speech.end(), voiced.begin(), voiced.end());
        if (bar == std::string::npos) break;
        from = bar + 1;
      }
    } else {
      speech = asio::co_spawn(rt.loop(0), speak_with_flite(tts, opts_.utterance), asio::use_future).get();
    }
    clip = make_uplink_clip(speech, opts_.think, kTrailingSilence);

    providers::EngineConfig vad_cfg = {{"threshold", opts_.vad_threshold},
                                       {"threshold_low", opts_.vad_threshold_low},
                                       {"min_silence_duration_ms", opts_.vad_min_silence_ms},
                                       {"model_path", opts_.vad_model}};
    providers::SileroVad vad(vad_cfg, ctx);
    auto cal = asio::co_spawn(rt.loop(0), calibrate_vad(clip, vad, clip.packets.size()), asio::use_future).get();
    if (!cal.start_packet) throw std::runtime_error("the server's VAD (these settings) does not hear \"" + opts_.utterance + "\"");
    if (!cal.end_packet)
      throw std::runtime_error("the server's VAD (these settings) does not end \"" + opts_.utterance +
                               "\" within the clip's trailing silence");
    plan.eos_packet = clip.speech_last;
    plan.vad_packet = *cal.end_packet;
    plan_json = {{"utterance", opts_.utterance},
                 {"packets", clip.packets.size()},
                 {"speech_first_packet", clip.speech_first},
                 {"eos_packet", plan.eos_packet},
                 {"vad_start_packet", *cal.start_packet},
                 {"vad_end_packet", plan.vad_packet},
                 {"vad_after_eos_ms", static_cast<double>(plan.vad_packet - plan.eos_packet) * UplinkClip::kFrameMs},
                 {"vad_min_silence_ms", opts_.vad_min_silence_ms}};
  }

  spread_url(opts_.url, 0, opts_.spread_hosts);  // a URL that cannot be spread fails here, not per device
  std::vector<std::unique_ptr<LoadLoop>> loops;
  for (std::size_t i = 0; i < rt.loop_count(); ++i) {
    loops.push_back(std::make_unique<LoadLoop>(rt.loop(i).get_executor(), opts_,
                                               opts_.mode == LoadMode::idle ? nullptr : &clip, plan));
    loops.back()->alive = 1;  // the probe
  }

  Progress progress(opts_.devices);
  std::atomic<bool> stop_probes{false};
  const double started_ms = epoch_ms();
  const auto t0 = Clock::now();
  for (auto& l : loops) asio::co_spawn(l->ex, probe(*l, stop_probes), asio::detached);
  for (std::size_t i = 0; i < loops.size(); ++i)
    asio::co_spawn(loops[i]->ex, spawn_devices(*loops[i], i, loops.size(), opts_.devices, t0, opts_.rate, progress),
                   asio::detached);

  progress.wait_settled();
  std::fprintf(stderr, "xiaozhi-sim load [%s]: %zu devices settled (%zu failed) after %.1f s\n", opts_.label.c_str(),
               opts_.devices, progress.failed(), (epoch_ms() - started_ms) / 1000.0);
  std::optional<double> released_ms;
  if (opts_.mode == LoadMode::idle && !opts_.hold_each_s) {
    // The hold is the measurement window (the bench samples the server meanwhile).
    std::this_thread::sleep_for(std::chrono::duration<double>(opts_.hold_s));
    released_ms = epoch_ms();
    for (auto& l : loops) asio::post(l->ex, [l = l.get()] { l->release.set(); });
  }
  progress.wait_done();
  const double finished_ms = epoch_ms();

  // Every device and probe must be gone before the loops stop: they use the LoadLoops.
  stop_probes = true;
  for (;;) {
    std::size_t alive = 0;
    for (auto& l : loops) alive += asio::post(l->ex, asio::use_future([l = l.get()] { return l->alive; })).get();
    if (alive == 0) break;
    std::this_thread::sleep_for(10ms);
  }
  rt.stop();

  LoadMetrics all;
  for (auto& l : loops) all.merge(l->metrics);
  loops.clear();

  Json report = all.to_json(opts_.raw);
  report["label"] = opts_.label;
  report["options"] = options_json(opts_);
  report["plan"] = plan_json;
  Json timeline = progress.milestones();
  timeline["started_ms"] = started_ms;
  timeline["released_ms"] = released_ms ? Json(*released_ms) : Json(nullptr);
  timeline["finished_ms"] = finished_ms;
  report["timeline"] = timeline;
  report["simulator"]["fd_limit"] = core::describe(fd);
  report["simulator"]["process"] = process_usage();
  report["simulator"]["process_at_start"] = started_usage;
  return report;
}

}  // namespace xz::sim
