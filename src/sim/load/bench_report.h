#pragma once
// `make bench`'s report: reads one run directory written by scripts/bench.sh and the
// load generator, and produces the Markdown table and the JSON with every raw
// distribution. A report, not a test: a missed target is a "no" in the table.
//
// Run directory:
//   meta.json                  machine, commit, provider delays, scale (bench.sh)
//   <scenario>/sim-*.json      `xiaozhi-sim load --raw` reports (several for big idle runs)
//   <scenario>/server.tsv      /proc samples of the server: "epoch_ms utime stime rss_kib"
//   <scenario>/fake.tsv, sim-*.tsv   the same for the fake providers and the simulators
//   <scenario>/system.tsv      /proc/stat samples: "epoch_ms busy_ticks total_ticks"
//   <scenario>/metrics.txt     the server's /metrics at the end of the scenario
// Scenarios: idle, active, barge-in, hello-rate, stream-asr, ... (others are reported as found).
#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::sim {

struct ProcSample {
  double epoch_ms = 0;
  std::uint64_t cpu_ticks = 0;  // utime + stime (or, for system.tsv, busy ticks)
  std::uint64_t value = 0;      // rss_kib (or, for system.tsv, total ticks)
};

// One sample per line, whitespace-separated: epoch_ms a b [c]. Per-process files
// give "utime stime rss": cpu_ticks = utime + stime, value = rss. System files give
// "busy total": cpu_ticks = busy, value = total. Malformed lines are skipped.
std::vector<ProcSample> parse_process_samples(std::istream& in);
std::vector<ProcSample> parse_system_samples(std::istream& in);

struct Window {
  double from_ms = 0, to_ms = 0;
};

// CPU used within the window, in cores (1.0 = one core busy), from the first sample at
// or after `from` to the last at or before `to`; nullopt with fewer than two samples.
std::optional<double> cpu_cores(const std::vector<ProcSample>& s, Window w, double ticks_per_second);
// Busy cores of the whole machine in the window (system samples).
std::optional<double> system_busy_cores(const std::vector<ProcSample>& s, Window w, int cpus);
// Median and maximum RSS (KiB) of the samples in the window.
std::optional<double> rss_median_kib(const std::vector<ProcSample>& s, Window w);
std::optional<double> rss_max_kib(const std::vector<ProcSample>& s, Window w);
// RSS of the last sample before `before_ms` (the server idle, before the scenario).
std::optional<double> rss_baseline_kib(const std::vector<ProcSample>& s, double before_ms);

// The mean of one stage of xiaozhi_turn_stage_latency_ms (e.g. "asr_final": end of speech
// -> ASR final text) from /metrics text, with its number of observations; nullopt when the
// stage is absent or has no observations.
struct StageMean {
  double mean_ms = 0;
  double count = 0;
};
std::optional<StageMean> turn_stage_mean(std::string_view metrics, std::string_view stage);

struct BenchReport {
  nlohmann::json json;
  std::string markdown;
};

// Throws std::runtime_error naming the file when an input is missing or malformed.
BenchReport build_bench_report(const std::filesystem::path& run_dir);

}  // namespace xz::sim
