#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "pipeline/voice_metrics.h"
#include "sim/load/bench_report.h"
#include "sim/load/load_metrics.h"
#include "sim/load/loop_health.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class RunDir {
 public:
  RunDir() : path_(fs::temp_directory_path() / ("xz_bench_report_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~RunDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel) << text;
  }

 private:
  fs::path path_;
};

// A load report as the generator writes it, with the given metrics and milestones.
json sim_report(const xz::sim::LoadMetrics& m, json options, json timeline) {
  json r = m.to_json(true);
  r["options"] = std::move(options);
  r["timeline"] = std::move(timeline);
  r["plan"] = nullptr;
  return r;
}

// Server samples every 250 ms over [0, end_ms): RSS `before` until `from`, `during` after;
// CPU grows by `ticks_per_s`.
std::string server_samples(double end_ms, double from_ms, int before_kib, int during_kib, int ticks_per_s) {
  std::string out;
  for (double t = 0; t < end_ms; t += 250) {
    const int rss = t < from_ms ? before_kib : during_kib;
    const auto ticks = static_cast<long>(t / 1000.0 * ticks_per_s);
    out += std::to_string(t) + " " + std::to_string(ticks) + " 0 " + std::to_string(rss) + "\n";
  }
  return out;
}

TEST(BenchReport, ComputesFiguresAndJudgesTargets) {
  RunDir run;
  run.write("meta.json", json{{"date", "2026-01-01"}, {"cpus", 2}, {"clk_tck", 100}, {"quick", false}}.dump());

  // Idle: two simulators of 8000 devices; the server grows by 6 KiB per connection.
  for (int i = 1; i <= 2; ++i) {
    xz::sim::LoadMetrics m;
    m.devices = m.hello_ok = m.held_at_release = 8000;
    for (int k = 0; k < 100; ++k) m.hello_ms.add(0.5 + k * 0.01);
    run.write("idle/sim-" + std::to_string(i) + ".json",
              sim_report(m, {{"devices", 8000}, {"rate", 1000}, {"hold_s", 10}},
                         {{"started_ms", 1000}, {"all_settled_ms", 5000}, {"released_ms", 15000}, {"finished_ms", 16000}})
                  .dump());
  }
  run.write("idle/server.tsv", server_samples(16000, 3000, 50000, 50000 + 16000 * 6, 10));

  // Active: 200 sessions; server-added p50 50 ms (a miss), 0.2 % late frames, 2 MiB each.
  xz::sim::LoadMetrics a;
  a.devices = a.hello_ok = 200;
  a.turns_ok = 600;
  for (int k = 1; k <= 100; ++k) a.server_added_ms.add(k);
  for (int k = 0; k < 1000; ++k) a.frame_lateness_ms.add(k < 2 ? 9.0 : 0.5);
  a.frames = 1200;
  a.frames_late_5ms = 2;
  run.write("active/sim-1.json",
            sim_report(a, {{"devices", 200}, {"rate", 20}, {"turns", 3}, {"think_ms", 2000}},
                       {{"started_ms", 1000}, {"ramp_done_ms", 11000}, {"first_done_ms", 31000}, {"finished_ms", 40000}})
                .dump());
  run.write("active/server.tsv", server_samples(40000, 5000, 60000, 60000 + 200 * 2048, 100));
  // The server's /metrics at the end: 800 probes, 12 more than 5 ms late (3 over 20 ms),
  // of which the server itself caused 2 (none over 20 ms).
  run.write("active/metrics.txt", R"(# HELP xiaozhi_event_loop_lag_ms How late a timer fires on an event loop (ms)
# TYPE xiaozhi_event_loop_lag_ms histogram
xiaozhi_event_loop_lag_ms_bucket{le="5"} 788
xiaozhi_event_loop_lag_ms_bucket{le="20"} 797
xiaozhi_event_loop_lag_ms_bucket{le="+Inf"} 800
xiaozhi_event_loop_lag_ms_sum 400.5
xiaozhi_event_loop_lag_ms_count 800
xiaozhi_event_loop_lag_max_ms 31.25
xiaozhi_event_loop_stall_ms_bucket{le="5"} 798
xiaozhi_event_loop_stall_ms_bucket{le="20"} 800
xiaozhi_event_loop_stall_ms_count 800
xiaozhi_event_loop_stall_max_ms 7.5
)");

  auto report = xz::sim::build_bench_report(run.path());
  const auto& idle = report.json["scenarios"]["idle"];
  EXPECT_EQ(idle["counts"]["held_at_release"], 16000.0);
  EXPECT_NEAR(idle["figures"]["rss_per_connection_kib"].get<double>(), 6.0, 1e-9);
  EXPECT_NEAR(idle["figures"]["server"]["cpu_cores"].get<double>(), 0.1, 0.01);
  EXPECT_EQ(idle["latency_ms"]["hello"]["count"], 200);

  const auto& active = report.json["scenarios"]["active"];
  EXPECT_NEAR(active["figures"]["rss_per_session_kib"].get<double>(), 2048.0, 1e-9);
  EXPECT_NEAR(active["figures"]["cpu_per_session_pct"].get<double>(), 0.5, 0.01);
  EXPECT_NEAR(active["figures"]["window"]["seconds"].get<double>(), 20.0, 1e-9);
  const auto& loops = active["figures"]["server_loops"];
  EXPECT_EQ(loops["probes"], 800.0);
  EXPECT_EQ(loops["lag"], (json{{"over_5ms", 12.0}, {"over_20ms", 3.0}, {"max_ms", 31.25}}));
  EXPECT_EQ(loops["stall"], (json{{"over_5ms", 2.0}, {"over_20ms", 0.0}, {"max_ms", 7.5}}));
  EXPECT_FALSE(idle["figures"].contains("server_loops")) << "no metrics were scraped for idle";

  std::map<std::string, json> targets;
  for (const auto& t : report.json["targets"]) targets[t["target"]] = t;
  EXPECT_EQ(targets["idle connections"]["met"], true);
  EXPECT_EQ(targets["RSS per idle connection"]["met"], true);
  EXPECT_EQ(targets["server-added latency"]["met"], false);
  EXPECT_EQ(targets["server-added latency"]["measured"], "p50 50.0 ms, p99 99.0 ms");
  EXPECT_EQ(targets["real-time sessions"]["met"], true);
  EXPECT_EQ(targets["RSS per active session"]["met"], false);
  EXPECT_EQ(targets.count("hello answered"), 0u);  // no hello-rate scenario in this run

  EXPECT_NE(report.markdown.find("| idle connections | ≥ 15,000 held | 16000 held |"), std::string::npos)
      << report.markdown;
  EXPECT_NE(report.markdown.find("| server-added latency |"), std::string::npos);
  EXPECT_NE(report.markdown.find("**no**"), std::string::npos);
  EXPECT_NE(report.markdown.find("(800 probes, one per loop every 50 ms): lag 12 over 5 ms, 3 over 20 ms, worst 31.2 ms; "
                                 "stall (lag not spent waiting for a CPU) 2 over 5 ms, 0 over 20 ms, worst 7.5 ms."),
            std::string::npos)
      << report.markdown;
}

// Speculation makes the server-added figure negative (the providers start before the
// VAD packet it counts from): the target is judged on active-nospec when it ran.
TEST(BenchReport, ServerAddedLatencyIsJudgedWithSpeculationOff) {
  RunDir run;
  run.write("meta.json", json{{"date", "2026-01-01"}, {"cpus", 2}, {"clk_tck", 100}, {"quick", false}}.dump());
  for (auto [name, base] : {std::pair{"active", -110.0}, std::pair{"active-nospec", 6.0}}) {
    xz::sim::LoadMetrics m;
    m.devices = m.hello_ok = 200;
    m.turns_ok = 600;
    for (int k = 0; k < 100; ++k) m.server_added_ms.add(base + k * 0.1);
    run.write(std::string(name) + "/sim-1.json",
              sim_report(m, {{"devices", 200}, {"rate", 20}, {"turns", 3}, {"think_ms", 2000}},
                         {{"started_ms", 1000}, {"finished_ms", 40000}})
                  .dump());
  }
  auto report = xz::sim::build_bench_report(run.path());
  std::map<std::string, json> targets;
  for (const auto& t : report.json["targets"]) targets[t["target"]] = t;
  const auto& t = targets["server-added latency"];
  EXPECT_EQ(t["met"], false) << t.dump();
  // 6.0 .. 15.9 ms: the median between 10.9 and 11.0, nowhere near active's -110.
  EXPECT_EQ(t["measured"], "p50 10.9 ms, p99 15.8 ms (speculation off)");
}

TEST(BenchReport, EndOfSpeechToFirstAudioWithAndWithoutSpeculation) {
  RunDir run;
  run.write("meta.json", json{{"date", "2026-01-01"}, {"cpus", 2}, {"clk_tck", 100}, {"quick", true}}.dump());
  // One board, five turns each way: 600-640 ms with speculation, 700-740 ms without.
  for (auto [name, base] : {std::pair{"single", 600.0}, std::pair{"single-nospec", 700.0}}) {
    xz::sim::LoadMetrics m;
    m.devices = m.hello_ok = 1;
    m.turns_ok = 5;
    for (int k = 0; k < 5; ++k) m.eos_to_first_frame_ms.add(base + k * 10);
    run.write(std::string(name) + "/sim-1.json",
              sim_report(m, {{"devices", 1}, {"rate", 1}, {"turns", 5}, {"think_ms", 2000}},
                         {{"started_ms", 0}, {"finished_ms", 20000}})
                  .dump());
  }
  {
    xz::sim::LoadMetrics m;
    m.devices = m.hello_ok = 1;
    m.turns_ok = 5;
    m.eos_to_first_frame_ms.add(600);
    run.write("pause/sim-1.json", sim_report(m, {{"devices", 1}, {"rate", 1}, {"turns", 5}, {"think_ms", 2000},
                                                 {"utterance", "a|b"}, {"pause_ms", 150}},
                                             {{"started_ms", 0}, {"finished_ms", 20000}})
                                      .dump());
    run.write("pause/metrics.txt", "xiaozhi_speculative_replies_confirmed_total 5\n"
                                   "xiaozhi_speculative_replies_discarded_total 6\n");
  }
  run.write("single/metrics.txt", "xiaozhi_speculative_replies_confirmed_total 5\n"
                                  "xiaozhi_speculative_replies_discarded_total 1\n");
  run.write("single-nospec/metrics.txt", "xiaozhi_speculative_replies_confirmed_total 0\n"
                                         "xiaozhi_speculative_replies_discarded_total 0\n");
  auto report = xz::sim::build_bench_report(run.path());
  const auto& single = report.json["scenarios"]["single"]["figures"]["speculative"];
  EXPECT_EQ(single["confirmed"], 5.0);
  EXPECT_EQ(single["discarded"], 1.0);
  EXPECT_NEAR(single["discard_rate"].get<double>(), 1.0 / 6.0, 1e-9);
  EXPECT_FALSE(report.json["scenarios"]["single-nospec"]["figures"]["speculative"].contains("discard_rate"));
  std::map<std::string, json> targets;
  for (const auto& t : report.json["targets"]) targets[t["target"]] = t;
  const auto& t = targets["end of speech → first audio (single)"];
  EXPECT_EQ(t["met"], true);
  EXPECT_EQ(t["measured"],
            "speculation on p50 620 ms, p99 640 ms; off p50 720 ms, p99 740 ms; 16.7 % of speculations discarded");
  EXPECT_EQ(targets.count("end of speech → first audio (active)"), 0u);  // not run
  // Six discarded for five pauses: one too many.
  EXPECT_EQ(targets["a pause inside a sentence"]["measured"], "5 replies to 5 sentences, 6 discarded");
  EXPECT_EQ(targets["a pause inside a sentence"]["met"], false);
  EXPECT_NE(report.markdown.find("Speculative replies: 5 confirmed, 1 discarded."), std::string::npos) << report.markdown;
}

TEST(BenchReport, TurnStageMeanFromTheServersOwnMetrics) {
  xz::core::Metrics metrics;
  xz::pipeline::VoiceMetrics voice(metrics);  // the server's registration of the stages
  EXPECT_FALSE(xz::sim::turn_stage_mean(metrics.render(), "asr_final"));  // no observation yet
  voice.asr_final_ms.observe(101);
  voice.asr_final_ms.observe(104);
  voice.first_frame_ms.observe(900);
  auto asr = xz::sim::turn_stage_mean(metrics.render(), "asr_final");
  ASSERT_TRUE(asr);
  EXPECT_DOUBLE_EQ(asr->mean_ms, 102.5);
  EXPECT_EQ(asr->count, 2.0);
  EXPECT_FALSE(xz::sim::turn_stage_mean(metrics.render(), "no_such_stage"));
  EXPECT_FALSE(xz::sim::turn_stage_mean("garbage\n", "asr_final"));
}

// stream-asr's VAD packet -> stt: `ok` turns at 102 ms and `late` turns at `late_ms`.
void write_stream_asr_run(const RunDir& run, int ok, int late, double late_ms) {
  json providers = {{"stream_asr_finalize_ms", 100}, {"stream_asr_packets_per_partial", 3}};
  run.write("meta.json",
            json{{"date", "2026-01-01"}, {"cpus", 2}, {"clk_tck", 100}, {"quick", true}, {"providers", providers}}.dump());
  xz::core::Metrics metrics;
  xz::pipeline::VoiceMetrics voice(metrics);
  xz::sim::LoadMetrics stream;
  stream.devices = stream.hello_ok = 200;
  stream.turns_ok = ok + late;
  for (int i = 0; i < ok + late; ++i) {
    const double v = i < ok ? 102 : late_ms;
    stream.vad_to_stt_ms.add(v);
    voice.asr_final_ms.observe(v - 1);
    stream.eos_to_first_frame_ms.add(600);
  }
  xz::sim::LoadMetrics batch;
  batch.devices = batch.hello_ok = 200;
  batch.turns_ok = 100;
  for (int i = 0; i < 100; ++i) {
    batch.vad_to_stt_ms.add(8);
    batch.eos_to_first_frame_ms.add(500);
  }
  json options = {{"devices", 200}, {"rate", 20}, {"turns", 3}, {"think_ms", 2000}};
  json timeline = {{"started_ms", 0}, {"finished_ms", 20000}};
  run.write("stream-asr/sim-1.json", sim_report(stream, options, timeline).dump());
  run.write("stream-asr/metrics.txt", metrics.render());
  run.write("active-nospec/sim-1.json", sim_report(batch, options, timeline).dump());
}

std::map<std::string, json> targets_of(const xz::sim::BenchReport& r) {
  std::map<std::string, json> out;
  for (const auto& t : r.json["targets"]) out[t["target"]] = t;
  return out;
}

TEST(BenchReport, StreamingAsrFinalWithinTheFinalisationDelayAgainstTheBatchPath) {
  {
    RunDir run;
    write_stream_asr_run(run, 98, 2, 104);  // p99 104 ms: within 100 + 5
    auto report = xz::sim::build_bench_report(run.path());
    auto targets = targets_of(report);
    const auto& final_text = targets["end of speech → final text (streaming ASR)"];
    EXPECT_EQ(final_text["goal"], "p99 ≤ finalisation delay 100 + 5 ms (VAD packet → stt)");
    EXPECT_EQ(final_text["measured"],
              "streaming p50 102.0 ms, p99 104.0 ms (server: mean 101.0 ms); batch p50 8.0 ms, p99 8.0 ms");
    EXPECT_EQ(final_text["met"], true);
    EXPECT_EQ(final_text["at_target_scale"], true);
    const auto& audio = targets["end of speech → first audio (streaming ASR)"];
    EXPECT_EQ(audio["measured"], "streaming p50 600 ms, p99 600 ms; batch p50 500 ms, p99 500 ms");
    EXPECT_EQ(audio["met"], true);  // 600 <= 500 + 100 + 5
    const auto& server = report.json["scenarios"]["stream-asr"]["figures"]["asr_final_server"];
    EXPECT_DOUBLE_EQ(server["mean_ms"].get<double>(), 101.04);
    EXPECT_EQ(server["turns"], 100.0);
    EXPECT_NE(report.markdown.find("the final text 100 ms after the last audio"), std::string::npos) << report.markdown;
    EXPECT_NE(report.markdown.find("End of speech → ASR final (server): mean 101.0 ms over 100 turns."), std::string::npos);
  }
  {
    RunDir run;
    write_stream_asr_run(run, 97, 3, 107);  // p99 107 ms: over the bound
    auto targets = targets_of(xz::sim::build_bench_report(run.path()));
    EXPECT_EQ(targets["end of speech → final text (streaming ASR)"]["met"], false);
  }
}

TEST(LoopHealth, NoLoopMetricsNoFigure) {
  EXPECT_TRUE(xz::sim::loop_health("# nothing here\nother_metric 1\n").is_null());
  EXPECT_TRUE(xz::sim::loop_health("xiaozhi_event_loop_lag_ms_count 3\n").is_null()) << "a partial scrape";
}

TEST(BenchReport, NamesTheBrokenFile) {
  RunDir run;
  run.write("meta.json", "{}");
  run.write("idle/sim-1.json", "{\"counts\": 3}");
  try {
    xz::sim::build_bench_report(run.path());
    FAIL() << "a malformed report must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("sim-1.json: not a load report"), std::string::npos) << e.what();
  }
  run.write("meta.json", "not json");
  EXPECT_THROW(xz::sim::build_bench_report(run.path()), std::runtime_error);
}

TEST(BenchReport, ProcSampleArithmetic) {
  std::istringstream in("0 0 0 100\n1000 30 20 200\nbroken line\n2000 60 40 300\n");
  auto s = xz::sim::parse_process_samples(in);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_NEAR(*xz::sim::cpu_cores(s, {0, 2000}, 100), 0.5, 1e-9);
  EXPECT_FALSE(xz::sim::cpu_cores(s, {500, 1500}, 100));  // one sample only
  EXPECT_EQ(*xz::sim::rss_median_kib(s, {0, 2000}), 200);
  EXPECT_EQ(*xz::sim::rss_max_kib(s, {0, 2000}), 300);
  EXPECT_EQ(*xz::sim::rss_baseline_kib(s, 1500), 200);
  EXPECT_FALSE(xz::sim::rss_baseline_kib(s, 0));
  std::istringstream sys("0 100 1000\n1000 700 2000\n");
  auto ss = xz::sim::parse_system_samples(sys);
  EXPECT_NEAR(*xz::sim::system_busy_cores(ss, {0, 1000}, 2), 1.2, 1e-9);
}

}  // namespace
