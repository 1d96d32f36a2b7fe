#include "sim/load/bench_report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/metrics_text.h"
#include "sim/load/loop_health.h"
#include "sim/load/sample_set.h"

namespace xz::sim {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// ------------------------------------------------------------------ /proc samples

namespace {

std::vector<ProcSample> parse_samples(std::istream& in, bool per_process) {
  std::vector<ProcSample> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    ProcSample s;
    std::uint64_t a = 0, b = 0, c = 0;
    if (!(ls >> s.epoch_ms >> a >> b)) continue;
    if (per_process) {
      if (!(ls >> c)) continue;
      s.cpu_ticks = a + b;
      s.value = c;
    } else {
      s.cpu_ticks = a;
      s.value = b;
    }
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const ProcSample& x, const ProcSample& y) { return x.epoch_ms < y.epoch_ms; });
  return out;
}

// First sample at or after `from` and last at or before `to`.
std::optional<std::pair<ProcSample, ProcSample>> span_of(const std::vector<ProcSample>& s, Window w) {
  auto first = std::find_if(s.begin(), s.end(), [&](const ProcSample& p) { return p.epoch_ms >= w.from_ms; });
  auto last = std::find_if(s.rbegin(), s.rend(), [&](const ProcSample& p) { return p.epoch_ms <= w.to_ms; });
  if (first == s.end() || last == s.rend()) return std::nullopt;
  if (last->epoch_ms <= first->epoch_ms) return std::nullopt;
  return std::make_pair(*first, *last);
}

std::vector<double> values_in(const std::vector<ProcSample>& s, Window w) {
  std::vector<double> v;
  for (const auto& p : s)
    if (p.epoch_ms >= w.from_ms && p.epoch_ms <= w.to_ms) v.push_back(static_cast<double>(p.value));
  return v;
}

}  // namespace

std::vector<ProcSample> parse_process_samples(std::istream& in) { return parse_samples(in, true); }
std::vector<ProcSample> parse_system_samples(std::istream& in) { return parse_samples(in, false); }

std::optional<double> cpu_cores(const std::vector<ProcSample>& s, Window w, double ticks_per_second) {
  auto span = span_of(s, w);
  if (!span || ticks_per_second <= 0) return std::nullopt;
  const double secs = (span->second.epoch_ms - span->first.epoch_ms) / 1000.0;
  const double ticks = static_cast<double>(span->second.cpu_ticks) - static_cast<double>(span->first.cpu_ticks);
  return ticks / ticks_per_second / secs;
}

std::optional<double> system_busy_cores(const std::vector<ProcSample>& s, Window w, int cpus) {
  auto span = span_of(s, w);
  if (!span) return std::nullopt;
  const double total = static_cast<double>(span->second.value) - static_cast<double>(span->first.value);
  if (total <= 0) return std::nullopt;
  const double busy = static_cast<double>(span->second.cpu_ticks) - static_cast<double>(span->first.cpu_ticks);
  return busy / total * cpus;
}

std::optional<double> rss_median_kib(const std::vector<ProcSample>& s, Window w) {
  auto v = values_in(s, w);
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::optional<double> rss_max_kib(const std::vector<ProcSample>& s, Window w) {
  auto v = values_in(s, w);
  if (v.empty()) return std::nullopt;
  return *std::max_element(v.begin(), v.end());
}

std::optional<double> rss_baseline_kib(const std::vector<ProcSample>& s, double before_ms) {
  std::optional<double> out;
  for (const auto& p : s)
    if (p.epoch_ms < before_ms) out = static_cast<double>(p.value);
  return out;
}

std::optional<StageMean> turn_stage_mean(std::string_view metrics, std::string_view stage) {
  const std::string labels = fmt::format("{{stage=\"{}\"}}", stage);
  auto sum = core::metric_sample(metrics, "xiaozhi_turn_stage_latency_ms_sum" + labels);
  auto count = core::metric_sample(metrics, "xiaozhi_turn_stage_latency_ms_count" + labels);
  if (!sum || !count || *count <= 0) return std::nullopt;
  return StageMean{*sum / *count, *count};
}

// ------------------------------------------------------------------ merging simulators

namespace {

Json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error(p.string() + ": cannot read");
  try {
    return Json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(p.string() + ": " + e.what());
  }
}

std::vector<ProcSample> read_samples(const fs::path& p, bool per_process) {
  std::ifstream in(p);
  if (!in) return {};
  return per_process ? parse_process_samples(in) : parse_system_samples(in);
}

// Sums of several process series sampled at about the same times: each file is
// evaluated on its own and the figures are added, so their clocks need not line up.
struct Series {
  std::vector<std::vector<ProcSample>> files;
  bool empty() const { return files.empty(); }
};

std::optional<double> sum_cpu(const Series& s, Window w, double tck) {
  std::optional<double> out;
  for (const auto& f : s.files)
    if (auto c = cpu_cores(f, w, tck)) out = out.value_or(0) + *c;
  return out;
}

std::optional<double> sum_rss_max(const Series& s, Window w) {
  std::optional<double> out;
  for (const auto& f : s.files)
    if (auto r = rss_max_kib(f, w)) out = out.value_or(0) + *r;
  return out;
}

struct Merged {
  Json counts = Json::object();
  std::map<std::string, SampleSet> latency;
  Json downlink = Json::object();
  SampleSet frame_lateness, uplink_lateness, loop_lateness;
  Json options, plan;
  Json timeline = Json::object();
  double sim_cpu_s = 0, sim_max_rss_kib = 0;
  int reports = 0;
};

void add_counts(Json& into, const Json& from) {
  if (!from.is_object()) return;
  for (const auto& [k, v] : from.items()) {
    if (!v.is_number()) continue;
    into[k] = into.value(k, 0.0) + v.get<double>();
  }
}

std::optional<double> get_ms(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

void merge_timeline(Json& into, const Json& t) {
  auto keep = [&](const char* key, bool latest) {
    auto v = get_ms(t, key);
    if (!v) return;
    auto cur = get_ms(into, key);
    if (!cur || (latest ? *v > *cur : *v < *cur)) into[key] = *v;
  };
  keep("started_ms", false);
  keep("all_settled_ms", true);
  keep("ramp_done_ms", true);
  keep("first_done_ms", false);
  keep("released_ms", false);
  keep("finished_ms", true);
}

void merge_report(Merged& m, const Json& r, const fs::path& from) {
  try {
    add_counts(m.counts, r.at("counts"));
    for (const auto& [k, v] : r.at("latency_ms").items()) {
      auto s = SampleSet::from_json(v);
      auto [it, fresh] = m.latency.try_emplace(k);
      it->second.merge(s);
    }
    const auto& d = r.at("downlink");
    for (const char* k : {"frames", "paced_frames", "late_over_5ms", "frames_outside_speaking"})
      m.downlink[k] = m.downlink.value(k, 0.0) + d.value(k, 0.0);
    m.frame_lateness.merge(SampleSet::from_json(d.at("lateness_ms")));
    const auto& sim = r.at("simulator");
    m.uplink_lateness.merge(SampleSet::from_json(sim.at("uplink_send_lateness_ms")));
    m.loop_lateness.merge(SampleSet::from_json(sim.at("loop_lateness_ms")));
    if (auto p = sim.find("process"); p != sim.end()) {
      m.sim_cpu_s += p->value("cpu_user_s", 0.0) + p->value("cpu_system_s", 0.0);
      m.sim_max_rss_kib += p->value("max_rss_kib", 0.0);
    }
    merge_timeline(m.timeline, r.at("timeline"));
    if (m.reports == 0) {
      m.options = r.value("options", Json::object());
      m.plan = r.value("plan", Json(nullptr));
    } else if (m.options.contains("devices") && r.contains("options")) {
      m.options["devices"] = m.options["devices"].get<double>() + r["options"].value("devices", 0.0);
    }
    ++m.reports;
  } catch (const std::exception& e) {
    throw std::runtime_error(from.string() + ": not a load report (" + e.what() + ")");
  }
}

// ------------------------------------------------------------------ figures

Json dist_json(const SampleSet& s) { return s.to_json(true); }

Json opt_json(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

struct Scenario {
  std::string name;
  Merged m;
  Window window;
  Json figures = Json::object();
};

// Scenarios whose devices talk (turns, replies): active, barge-in and the dual-stream
// comparison (sentence-long, dual-stream).
bool talking(const std::string& name) {
  return name == "active" || name == "barge-in" || name == "sentence-long" || name == "dual-stream" ||
         name == "active-nospec" || name == "single" || name == "single-nospec" || name == "pause" ||
         name == "stream-asr" || name == "active-mqtt";
}

// Scenarios whose devices only hold their connection until released (the MQTT one holds
// just its login, no conversation).
bool idling(const std::string& name) { return name == "idle" || name == "idle-mqtt"; }

Window window_for(const std::string& name, const Json& t) {
  auto at = [&](const char* k) { return get_ms(t, k); };
  const double start = at("started_ms").value_or(0);
  const double end = at("finished_ms").value_or(start);
  if (idling(name) && at("all_settled_ms") && at("released_ms")) return {*at("all_settled_ms"), *at("released_ms")};
  if (talking(name) && at("ramp_done_ms") && at("first_done_ms") &&
      *at("first_done_ms") > *at("ramp_done_ms"))
    return {*at("ramp_done_ms"), *at("first_done_ms")};
  return {start, end};
}

void compute_figures(Scenario& sc, const fs::path& dir, double tck, int cpus) {
  auto server = read_samples(dir / "server.tsv", true);
  auto fake = read_samples(dir / "fake.tsv", true);
  auto system = read_samples(dir / "system.tsv", false);
  Series sims;
  for (const auto& e : fs::directory_iterator(dir)) {
    auto n = e.path().filename().string();
    if (n.rfind("sim-", 0) == 0 && e.path().extension() == ".tsv") sims.files.push_back(read_samples(e.path(), true));
  }
  const Window w = sc.window = window_for(sc.name, sc.m.timeline);
  const double started = get_ms(sc.m.timeline, "started_ms").value_or(w.from_ms);
  auto& f = sc.figures;
  f["window"] = {{"from_ms", w.from_ms}, {"to_ms", w.to_ms}, {"seconds", (w.to_ms - w.from_ms) / 1000.0}};
  auto server_cpu = cpu_cores(server, w, tck);
  auto base = rss_baseline_kib(server, started);
  auto rss_med = rss_median_kib(server, w);
  auto rss_max = rss_max_kib(server, w);
  f["server"] = {{"cpu_cores", opt_json(server_cpu)},
                 {"rss_baseline_kib", opt_json(base)},
                 {"rss_median_kib", opt_json(rss_med)},
                 {"rss_max_kib", opt_json(rss_max)}};
  auto sim_cpu = sum_cpu(sims, w, tck);
  auto fake_cpu = cpu_cores(fake, w, tck);
  auto busy = system_busy_cores(system, w, cpus);
  std::optional<double> other;
  if (busy) other = std::max(0.0, *busy - server_cpu.value_or(0) - sim_cpu.value_or(0) - fake_cpu.value_or(0));
  f["simulators"] = {{"cpu_cores", opt_json(sim_cpu)}, {"rss_max_kib", opt_json(sum_rss_max(sims, w))}};
  f["fake_providers"] = {{"cpu_cores", opt_json(fake_cpu)}};
  f["machine"] = {{"busy_cores", opt_json(busy)}, {"other_processes_cores", opt_json(other)}, {"cpus", cpus}};
  if (std::ifstream scraped(dir / "metrics.txt"); scraped) {
    std::stringstream text;
    text << scraped.rdbuf();
    f["server_loops"] = loop_health(text.str());
    // Speculative replies: started at a pause, then confirmed by the end of speech or
    // discarded unseen (each discarded one cost an ASR call and an LLM/TTS start).
    auto confirmed = core::metric_sample(text.str(), "xiaozhi_speculative_replies_confirmed_total");
    auto discarded = core::metric_sample(text.str(), "xiaozhi_speculative_replies_discarded_total");
    if (confirmed && discarded) {
      f["speculative"] = {{"confirmed", *confirmed}, {"discarded", *discarded}};
      if (*confirmed + *discarded > 0) f["speculative"]["discard_rate"] = *discarded / (*confirmed + *discarded);
    }
    // The server's own end of speech -> ASR final (its histogram's buckets are too coarse
    // for percentiles near a 100 ms delay: the mean is exact).
    if (auto asr = turn_stage_mean(text.str(), "asr_final"))
      f["asr_final_server"] = {{"mean_ms", asr->mean_ms}, {"turns", asr->count}};
  }

  const auto& c = sc.m.counts;
  const double hello_ok = c.value("hello_ok", 0.0);
  if (idling(sc.name)) {
    const double held = c.value("held_at_release", 0.0);
    f["connections_held"] = held;
    if (base && rss_med && held > 0) f["rss_per_connection_kib"] = (*rss_med - *base) / held;
  }
  if (talking(sc.name)) {
    f["sessions"] = hello_ok;
    if (server_cpu && hello_ok > 0) f["cpu_per_session_pct"] = *server_cpu / hello_ok * 100.0;
    if (base && rss_max && hello_ok > 0) f["rss_per_session_kib"] = (*rss_max - *base) / hello_ok;
  }
  if (sc.name == "hello-rate") {
    auto settled = get_ms(sc.m.timeline, "all_settled_ms");
    if (settled && *settled > started) f["arrivals_per_s"] = hello_ok / ((*settled - started) / 1000.0);
  }
}

// ------------------------------------------------------------------ targets

struct Target {
  std::string name, goal, measured, scale;
  std::optional<bool> met;
  bool at_scale = false;
};

const Scenario* find(const std::vector<Scenario>& all, const std::string& name) {
  for (const auto& s : all)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<Target> evaluate(const std::vector<Scenario>& all, std::optional<double> stream_finalize_ms) {
  std::vector<Target> out;
  auto number = [](const Json& j, const char* k) -> std::optional<double> {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
  };
  auto lat = [](const Scenario* s, const char* k) -> const SampleSet* {
    if (!s) return nullptr;
    auto it = s->m.latency.find(k);
    return it == s->m.latency.end() ? nullptr : &it->second;
  };
  const Scenario* idle = find(all, "idle");
  const Scenario* active = find(all, "active");
  const Scenario* barge = find(all, "barge-in");
  const Scenario* hello = find(all, "hello-rate");
  const double sessions = active ? active->m.counts.value("hello_ok", 0.0) : 0;
  const double barge_sessions = barge ? barge->m.counts.value("hello_ok", 0.0) : 0;

  // With speculation the providers start before the VAD packet this figure counts from
  // (it goes negative), so it is judged with speculation off when that scenario ran.
  const Scenario* unspeculated = find(all, "active-nospec");
  const Scenario* added_from = unspeculated ? unspeculated : active;
  if (auto* s = lat(added_from, "server_added"); s && !s->empty()) {
    double p50 = s->percentile(50), p99 = s->percentile(99);
    const double added_sessions = added_from->m.counts.value("hello_ok", 0.0);
    out.push_back({"server-added latency", "p50 ≤ 5 ms, p99 ≤ 20 ms at 200 active sessions",
                   fmt::format("p50 {:.1f} ms, p99 {:.1f} ms{}", p50, p99, unspeculated ? " (speculation off)" : ""),
                   fmt::format("{:.0f} sessions", added_sessions), p50 <= 5 && p99 <= 20, added_sessions >= 200});
  } else {
    out.push_back({"server-added latency", "p50 ≤ 5 ms, p99 ≤ 20 ms at 200 active sessions", "not measured", "", std::nullopt, false});
  }
  if (active) {
    const double paced = active->m.downlink.value("paced_frames", 0.0);
    const double late = active->m.downlink.value("late_over_5ms", 0.0);
    const double turns = active->m.counts.value("turns_ok", 0.0);
    const double timed_out = active->m.counts.value("turns_timed_out", 0.0);
    const double frac = paced > 0 ? late / paced : 0;
    out.push_back({"real-time sessions", "≥ 200 active sessions, < 0.5 % of frames > 5 ms late",
                   fmt::format("{:.3f} % of {:.0f} frames late; {:.0f} turns, {:.0f} timed out", frac * 100, paced, turns,
                               timed_out),
                   fmt::format("{:.0f} sessions", sessions), paced > 0 && frac < 0.005 && timed_out == 0, sessions >= 200});
  }
  if (idle) {
    const double held = idle->m.counts.value("held_at_release", 0.0);
    out.push_back({"idle connections", "≥ 15,000 held", fmt::format("{:.0f} held", held), fmt::format("{:.0f} devices", idle->m.counts.value("devices", 0.0)),
                   held >= 15000, held >= 15000});
    auto per = number(idle->figures, "rss_per_connection_kib");
    out.push_back({"RSS per idle connection", "≤ 8 KiB", per ? fmt::format("{:.1f} KiB", *per) : "not measured",
                   fmt::format("{:.0f} connections", held), per ? std::optional<bool>(*per <= 8) : std::nullopt, held >= 15000});
  }
  if (active) {
    auto per = number(active->figures, "rss_per_session_kib");
    out.push_back({"RSS per active session", "≤ 1 MiB", per ? fmt::format("{:.0f} KiB", *per) : "not measured",
                   fmt::format("{:.0f} sessions", sessions), per ? std::optional<bool>(*per <= 1024) : std::nullopt,
                   sessions >= 200});
    auto cpu = number(active->figures, "cpu_per_session_pct");
    out.push_back({"CPU per active session", "(figure)", cpu ? fmt::format("{:.2f} % of a core", *cpu) : "not measured",
                   fmt::format("{:.0f} sessions", sessions), std::nullopt, sessions >= 200});
  }
  if (auto* s = lat(barge, "abort_to_last_frame"); s && !s->empty()) {
    out.push_back({"abort → last frame", "≤ 60 ms (p99) at 200 active sessions",
                   fmt::format("p50 {:.1f} ms, p99 {:.1f} ms", s->percentile(50), s->percentile(99)),
                   fmt::format("{:.0f} sessions", barge_sessions), s->percentile(99) <= 60, barge_sessions >= 200});
  }
  if (auto* s = lat(barge, "abort_to_tts_stop"); s && !s->empty()) {
    out.push_back({"abort → tts stop", "≤ 20 ms (p99) at 200 active sessions",
                   fmt::format("p50 {:.1f} ms, p99 {:.1f} ms", s->percentile(50), s->percentile(99)),
                   fmt::format("{:.0f} sessions", barge_sessions), s->percentile(99) <= 20, barge_sessions >= 200});
  }
  // Dual-stream TTS against the sentence path on the same long first sentence: when the
  // first audio frame reaches the device (from the packet the server's VAD ends the
  // utterance on; the LLM's first token comes 200 ms after it).
  const Scenario* sentence_long = find(all, "sentence-long");
  const Scenario* dual = find(all, "dual-stream");
  auto* ds = lat(dual, "vad_to_first_frame");
  auto* ss = lat(sentence_long, "vad_to_first_frame");
  if (ds && !ds->empty()) {
    const double dual_sessions = dual->m.counts.value("hello_ok", 0.0);
    std::string measured = fmt::format("dual-stream p50 {:.0f} ms, p99 {:.0f} ms", ds->percentile(50), ds->percentile(99));
    std::optional<bool> met;
    if (ss && !ss->empty()) {
      measured += fmt::format("; sentence path p50 {:.0f} ms, p99 {:.0f} ms", ss->percentile(50), ss->percentile(99));
      met = ds->percentile(50) < ss->percentile(50);
    }
    out.push_back({"first audio, long first sentence", "dual-stream before the sentence path (VAD packet → first frame)",
                   measured, fmt::format("{:.0f} sessions", dual_sessions), met, dual_sessions >= 200});
  }
  // Issue 17: what a user hears, from the last voiced uplink frame sent, with speculative
  // replies (the default) and without them, for one board and for many.
  for (const char* base : {"single", "active"}) {
    const Scenario* on = find(all, base);
    const Scenario* off = find(all, std::string(base) + "-nospec");
    auto* son = lat(on, "eos_to_first_frame");
    if (!son || son->empty()) continue;
    std::string measured = fmt::format("speculation on p50 {:.0f} ms, p99 {:.0f} ms", son->percentile(50), son->percentile(99));
    if (auto* soff = lat(off, "eos_to_first_frame"); soff && !soff->empty())
      measured += fmt::format("; off p50 {:.0f} ms, p99 {:.0f} ms", soff->percentile(50), soff->percentile(99));
    if (auto sp = on->figures.find("speculative"); sp != on->figures.end() && sp->contains("discard_rate"))
      measured += fmt::format("; {:.1f} % of speculations discarded", (*sp)["discard_rate"].get<double>() * 100.0);
    const double n = on->m.counts.value("hello_ok", 0.0);
    out.push_back({fmt::format("end of speech → first audio ({})", base), "≤ 700 ms p50 with speculation (reference 960 ms)",
                   measured, fmt::format("{:.0f} session(s)", n), son->percentile(50) <= 700,
                   std::string(base) == "single" ? n >= 1 : n >= 200});
  }
  // Issue 16: a streaming ASR engine (the fake finalises a fixed delay after the last audio)
  // against the batch path of the same server (active-nospec: speculation off in both, so
  // every final text is the engine's; the batch fake answers at once).
  const Scenario* stream = find(all, "stream-asr");
  const Scenario* batch = find(all, "active-nospec");
  if (auto* s = lat(stream, "vad_to_stt"); s && !s->empty()) {
    const double n = stream->m.counts.value("hello_ok", 0.0);
    std::string measured = fmt::format("streaming p50 {:.1f} ms, p99 {:.1f} ms", s->percentile(50), s->percentile(99));
    if (auto a = stream->figures.find("asr_final_server"); a != stream->figures.end())
      measured += fmt::format(" (server: mean {:.1f} ms)", a->value("mean_ms", 0.0));
    if (auto* b = lat(batch, "vad_to_stt"); b && !b->empty())
      measured += fmt::format("; batch p50 {:.1f} ms, p99 {:.1f} ms", b->percentile(50), b->percentile(99));
    std::optional<bool> met;
    std::string goal = "p99 ≤ finalisation delay + 5 ms (VAD packet → stt)";
    if (stream_finalize_ms) {
      goal = fmt::format("p99 ≤ finalisation delay {:.0f} + 5 ms (VAD packet → stt)", *stream_finalize_ms);
      met = s->percentile(99) <= *stream_finalize_ms + 5;
    }
    out.push_back({"end of speech → final text (streaming ASR)", goal, measured, fmt::format("{:.0f} sessions", n), met,
                   n >= 200});
  }
  if (auto* s = lat(stream, "eos_to_first_frame"); s && !s->empty()) {
    const double n = stream->m.counts.value("hello_ok", 0.0);
    std::string measured = fmt::format("streaming p50 {:.0f} ms, p99 {:.0f} ms", s->percentile(50), s->percentile(99));
    std::optional<bool> met;
    if (auto* b = lat(batch, "eos_to_first_frame"); b && !b->empty()) {
      measured += fmt::format("; batch p50 {:.0f} ms, p99 {:.0f} ms", b->percentile(50), b->percentile(99));
      if (stream_finalize_ms) met = s->percentile(50) <= b->percentile(50) + *stream_finalize_ms + 5;
    }
    out.push_back({"end of speech → first audio (streaming ASR)",
                   "p50 ≤ batch + finalisation delay + 5 ms (the batch fake answers at once)", measured,
                   fmt::format("{:.0f} sessions", n), met, n >= 200});
  }
  // A sentence with a pause inside: one reply per sentence, at most one discarded
  // speculation per pause (the pause scenario has one pause a turn).
  if (const Scenario* pause = find(all, "pause")) {
    const double expected = pause->m.options.value("devices", 0.0) * pause->m.options.value("turns", 0.0);
    const double turns = pause->m.counts.value("turns_ok", 0.0);
    std::optional<double> discarded;
    if (auto sp = pause->figures.find("speculative"); sp != pause->figures.end()) discarded = sp->value("discarded", 0.0);
    out.push_back({"a pause inside a sentence", "one turn per sentence, ≤ 1 discarded speculation per pause",
                   fmt::format("{:.0f} replies to {:.0f} sentences, {} discarded", turns, expected,
                               discarded ? fmt::format("{:.0f}", *discarded) : std::string("?")),
                   fmt::format("{:.0f} sentence(s)", expected),
                   turns == expected && discarded && *discarded <= expected, expected >= 1});
  }
  if (auto* s = lat(hello, "hello"); s && !s->empty()) {
    auto rate = number(hello->figures, "arrivals_per_s");
    out.push_back({"hello answered", "≤ 2 ms p99 at 1,000 arrivals/s",
                   fmt::format("p50 {:.2f} ms, p99 {:.2f} ms", s->percentile(50), s->percentile(99)),
                   rate ? fmt::format("{:.0f} arrivals/s", *rate) : "", s->percentile(99) <= 2, rate && *rate >= 950});
  }
  return out;
}

// ------------------------------------------------------------------ markdown

std::string yes_no(const std::optional<bool>& b) { return !b ? "–" : *b ? "yes" : "**no**"; }

std::string opt_text(const Json& j, const char* k, const char* format_spec) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number()) return "–";
  return fmt::format(fmt::runtime(format_spec), it->get<double>());
}

void dist_row(std::string& md, const std::string& label, const SampleSet* s) {
  if (!s || s->empty()) return;
  md += fmt::format("| {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {} |\n", label, s->percentile(50), s->percentile(95),
                    s->percentile(99), s->max(), s->count());
}

std::string scenario_markdown(const Scenario& sc) {
  const auto& m = sc.m;
  const auto& o = m.options;
  std::string md = fmt::format("\n### {}\n\n", sc.name);
  md += fmt::format("{} devices, {} simulator process(es), arrivals {}/s", o.value("devices", 0.0), m.reports,
                    o.value("rate", 0.0));
  if (o.contains("turns")) md += fmt::format(", {} turns each, think {} ms", o.value("turns", 0), o.value("think_ms", 0));
  if (o.contains("pause_ms"))
    md += fmt::format(", saying \"{}\" with a {} ms pause at the bar", o.value("utterance", std::string()),
                      o.value("pause_ms", 0));
  if (o.contains("abort_after_ms")) md += fmt::format(", abort {} ms after the first frame", o.value("abort_after_ms", 0));
  if (o.contains("hold_s")) md += fmt::format(", held {} s", o.value("hold_s", 0.0));
  if (o.contains("hold_each_s")) md += fmt::format(", each held {} s", o.value("hold_each_s", 0.0));
  if (o.value("ota", false)) md += ", OTA check first";
  md += fmt::format(". Measurement window {:.1f} s.\n\n", sc.figures["window"].value("seconds", 0.0));

  md += "| ms | p50 | p95 | p99 | max | n |\n|---|---|---|---|---|---|\n";
  auto lat = [&](const char* k) -> const SampleSet* {
    auto it = m.latency.find(k);
    return it == m.latency.end() ? nullptr : &it->second;
  };
  dist_row(md, "OTA check", lat("ota"));
  dist_row(md, "TCP + WebSocket connect", lat("connect"));
  dist_row(md, "hello → server hello", lat("hello"));
  dist_row(md, "end of speech → first frame", lat("eos_to_first_frame"));
  dist_row(md, "VAD packet → stt", lat("vad_to_stt"));
  dist_row(md, "VAD packet → first frame", lat("vad_to_first_frame"));
  dist_row(md, "**server-added** (minus provider delay)", lat("server_added"));
  dist_row(md, "frame lateness (gap − 60 ms)", &m.frame_lateness);
  dist_row(md, "abort → last frame", lat("abort_to_last_frame"));
  dist_row(md, "abort → tts stop", lat("abort_to_tts_stop"));
  dist_row(md, "simulator: uplink send lateness", &m.uplink_lateness);
  dist_row(md, "simulator: loop probe lateness", &m.loop_lateness);

  const auto& f = sc.figures;
  const auto& s = f["server"];
  md += fmt::format("\nServer: CPU {} cores, RSS {} MiB before → {} MiB median / {} MiB max in the window.",
                    opt_text(s, "cpu_cores", "{:.2f}"), opt_text(s, "rss_baseline_kib", "{:.1f}") == "–" ? "–" : fmt::format("{:.1f}", s["rss_baseline_kib"].get<double>() / 1024),
                    s["rss_median_kib"].is_number() ? fmt::format("{:.1f}", s["rss_median_kib"].get<double>() / 1024) : "–",
                    s["rss_max_kib"].is_number() ? fmt::format("{:.1f}", s["rss_max_kib"].get<double>() / 1024) : "–");
  if (f.contains("rss_per_connection_kib")) md += fmt::format(" {:.1f} KiB per held connection.", f["rss_per_connection_kib"].get<double>());
  if (f.contains("rss_per_session_kib")) md += fmt::format(" {:.0f} KiB per session.", f["rss_per_session_kib"].get<double>());
  if (auto sp = f.find("speculative"); sp != f.end())
    md += fmt::format(" Speculative replies: {:.0f} confirmed, {:.0f} discarded.", sp->value("confirmed", 0.0),
                      sp->value("discarded", 0.0));
  if (auto a = f.find("asr_final_server"); a != f.end())
    md += fmt::format(" End of speech → ASR final (server): mean {:.1f} ms over {:.0f} turns.", a->value("mean_ms", 0.0),
                      a->value("turns", 0.0));
  if (f.contains("cpu_per_session_pct")) md += fmt::format(" {:.2f} % of a core per session.", f["cpu_per_session_pct"].get<double>());
  if (f.contains("arrivals_per_s")) md += fmt::format(" Arrivals achieved: {:.0f}/s.", f["arrivals_per_s"].get<double>());
  md += fmt::format("\nMachine in the window: {} of {} cores busy (simulators {}, fake providers {}, other processes {}).\n",
                    opt_text(f["machine"], "busy_cores", "{:.2f}"), f["machine"].value("cpus", 0),
                    opt_text(f["simulators"], "cpu_cores", "{:.2f}"), opt_text(f["fake_providers"], "cpu_cores", "{:.2f}"),
                    opt_text(f["machine"], "other_processes_cores", "{:.2f}"));
  if (const auto& l = f.value("server_loops", Json()); l.is_object()) {
    auto part = [&](const char* k) {
      const auto& x = l[k];
      return fmt::format("{:.0f} over 5 ms, {:.0f} over 20 ms, worst {:.1f} ms", x.value("over_5ms", 0.0),
                         x.value("over_20ms", 0.0), x.value("max_ms", 0.0));
    };
    md += fmt::format("Server event loops, whole run ({:.0f} probes, one per loop every 50 ms): lag {}; stall (lag not spent waiting for a "
                      "CPU) {}.\n",
                      l.value("probes", 0.0), part("lag"), part("stall"));
  }
  const auto& c = m.counts;
  md += fmt::format(
      "Counts: {} hello ok, {} connect failures, {} hello timeouts, {} closed by the server, {} held at release; {} turns, "
      "{} timed out, {} VAD mismatches, {} replies ended before the abort; {} frames ({} outside speaking).\n",
      c.value("hello_ok", 0.0), c.value("connect_failed", 0.0), c.value("hello_timeouts", 0.0),
      c.value("closed_by_server", 0.0), c.value("held_at_release", 0.0), c.value("turns_ok", 0.0),
      c.value("turns_timed_out", 0.0), c.value("vad_mismatches", 0.0), c.value("replies_before_abort", 0.0),
      m.downlink.value("frames", 0.0), m.downlink.value("frames_outside_speaking", 0.0));
  if (m.plan.is_object())
    md += fmt::format("Turn plan: the server's VAD ends the utterance on the packet sent {:.0f} ms after the last voiced "
                      "one (min silence {:.0f} ms + window and packet rounding); provider delay subtracted: {} ms.\n",
                      m.plan.value("vad_after_eos_ms", 0.0), m.plan.value("vad_min_silence_ms", 0.0),
                      o.value("provider_delay_ms", 0.0));
  return md;
}

}  // namespace

BenchReport build_bench_report(const fs::path& run_dir) {
  Json meta = read_json(run_dir / "meta.json");
  const double tck = meta.value("clk_tck", 100.0);
  const int cpus = meta.value("cpus", 2);

  std::vector<std::string> names;
  for (const char* n : {"idle", "idle-mqtt", "single", "single-nospec", "pause", "active", "active-mqtt", "active-nospec",
                        "barge-in", "hello-rate", "sentence-long", "dual-stream", "stream-asr"})
    if (fs::is_directory(run_dir / n)) names.emplace_back(n);
  std::vector<std::string> others;
  for (const auto& e : fs::directory_iterator(run_dir)) {
    auto n = e.path().filename().string();
    if (e.is_directory() && std::find(names.begin(), names.end(), n) == names.end()) others.push_back(n);
  }
  std::sort(others.begin(), others.end());
  names.insert(names.end(), others.begin(), others.end());

  std::vector<Scenario> scenarios;
  for (const auto& n : names) {
    Scenario sc;
    sc.name = n;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(run_dir / n)) {
      auto f = e.path().filename().string();
      if (f.rfind("sim-", 0) == 0 && e.path().extension() == ".json") files.push_back(e.path());
    }
    if (files.empty()) continue;  // a scenario that did not run (its log says why)
    std::sort(files.begin(), files.end());
    for (const auto& f : files) merge_report(sc.m, read_json(f), f);
    compute_figures(sc, run_dir / n, tck, cpus);
    scenarios.push_back(std::move(sc));
  }

  std::optional<double> stream_finalize_ms;
  if (auto p = meta.find("providers"); p != meta.end() && p->is_object())
    if (auto d = p->find("stream_asr_finalize_ms"); d != p->end() && d->is_number()) stream_finalize_ms = d->get<double>();
  auto targets = evaluate(scenarios, stream_finalize_ms);

  BenchReport out;
  Json tj = Json::array();
  for (const auto& t : targets)
    tj.push_back({{"target", t.name}, {"goal", t.goal}, {"measured", t.measured}, {"scale", t.scale},
                  {"met", t.met ? Json(*t.met) : Json(nullptr)}, {"at_target_scale", t.at_scale}});
  Json sj = Json::object();
  for (const auto& sc : scenarios) {
    Json lat = Json::object();
    for (const auto& [k, s] : sc.m.latency) lat[k] = dist_json(s);
    Json down = sc.m.downlink;
    down["lateness_ms"] = dist_json(sc.m.frame_lateness);
    sj[sc.name] = {{"options", sc.m.options},
                   {"plan", sc.m.plan},
                   {"simulator_processes", sc.m.reports},
                   {"timeline", sc.m.timeline},
                   {"counts", sc.m.counts},
                   {"figures", sc.figures},
                   {"latency_ms", lat},
                   {"downlink", down},
                   {"simulator",
                    {{"uplink_send_lateness_ms", dist_json(sc.m.uplink_lateness)},
                     {"loop_lateness_ms", dist_json(sc.m.loop_lateness)},
                     {"cpu_s", sc.m.sim_cpu_s},
                     {"max_rss_kib", sc.m.sim_max_rss_kib}}}};
  }
  out.json = {{"meta", meta}, {"targets", tj}, {"scenarios", sj}};

  std::string md = fmt::format("# xiaozhi-server benchmark, {}\n\n", meta.value("date", std::string("?")));
  md += fmt::format("Machine: {} × {}, {} GiB RAM, Linux {}. Commit {}{}; build {}.{}\n\n", cpus,
                    meta.value("cpu_model", std::string("?")), meta.value("mem_gib", 0), meta.value("kernel", std::string("?")),
                    meta.value("commit", std::string("?")), meta.value("dirty", false) ? " (with local changes)" : "",
                    meta.value("build", std::string("?")),
                    meta.value("quick", false) ? " **Quick run: scaled down, so the targets' scale is not reached.**" : "");
  if (auto p = meta.find("providers"); p != meta.end() && p->is_object()) {
    md += fmt::format(
        "Providers: the local fake OpenAI API. LLM: first token after {} ms, then one word every {} ms; ASR: answers at once; "
        "TTS: first audio at once, {} ms of audio every {} ms. Server: Silero VAD (min silence {} ms, speculative replies "
        "after {} ms except in the -nospec scenarios), Opus, {} event loops, {} workers, log level warn.\n",
        p->value("llm_first_token_ms", 0), p->value("llm_token_ms", 0), p->value("tts_chunk_ms", 0),
        p->value("tts_interval_ms", 0), p->value("vad_min_silence_ms", 0), p->value("speculative_silence_ms", 0),
        meta.value("io_threads", 0),
        meta.value("workers", 0));
    if (p->contains("stream_asr_finalize_ms"))
      md += fmt::format("Streaming ASR (stream-asr): the local Doubao sauc v3 fake, a partial every {} audio packets, the final "
                        "text {} ms after the last audio; speculation off, compared with active-nospec (batch ASR).\n",
                        p->value("stream_asr_packets_per_partial", 0), p->value("stream_asr_finalize_ms", 0));
  }
  if (auto l = meta.find("loadavg"); l != meta.end() && l->is_string())
    md += fmt::format("Load average when the run started: {}.\n", l->get<std::string>());
  md += "\n## Targets\n\n| target | goal | measured | scale | met | at target scale |\n|---|---|---|---|---|---|\n";
  for (const auto& t : targets)
    md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", t.name, t.goal, t.measured, t.scale, yes_no(t.met),
                      t.at_scale ? "yes" : "no");
  md += "\n## Scenarios\n";
  for (const auto& sc : scenarios) md += scenario_markdown(sc);
  out.markdown = std::move(md);
  return out;
}

}  // namespace xz::sim
