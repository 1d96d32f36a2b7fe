#include "core/metrics.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace xz::core {

void Gauge::add(double d) {
  double cur = v_.load(std::memory_order_relaxed);
  while (!v_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end())) throw std::invalid_argument("bounds must ascend");
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    out[i] = acc;
  }
  return out;
}

std::vector<double> latency_buckets_ms() {
  return {1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000};
}

Metrics::Family& Metrics::family(const std::string& name, const std::string& type, const std::string& help) {
  auto& f = families_[name];
  if (f.type.empty()) {
    f.type = type;
    f.help = help;
  } else if (f.type != type) {
    throw std::logic_error("metric " + name + " registered as " + f.type + " and " + type);
  }
  return f;
}

Counter& Metrics::counter(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lk(mu_);
  auto& slot = family(name, "counter", help).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lk(mu_);
  auto& slot = family(name, "gauge", help).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                              const std::string& labels) {
  std::lock_guard lk(mu_);
  auto& slot = family(name, "histogram", help).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

void Metrics::gauge_fn(const std::string& name, const std::string& help, std::function<double()> fn,
                       const std::string& labels) {
  std::lock_guard lk(mu_);
  family(name, "gauge", help).fns[labels] = std::move(fn);
}

namespace {
std::string with_labels(const std::string& labels, const std::string& extra = "") {
  std::string all = labels;
  if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
  return all.empty() ? "" : "{" + all + "}";
}
}  // namespace

std::string Metrics::render() const {
  std::lock_guard lk(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
    for (const auto& [l, c] : f.counters) out += fmt::format("{}{} {}\n", name, with_labels(l), c->value());
    for (const auto& [l, g] : f.gauges) out += fmt::format("{}{} {}\n", name, with_labels(l), g->value());
    for (const auto& [l, fn] : f.fns) out += fmt::format("{}{} {}\n", name, with_labels(l), fn());
    for (const auto& [l, h] : f.histograms) {
      auto counts = h->cumulative_counts();
      for (std::size_t i = 0; i < h->bounds().size(); ++i)
        out += fmt::format("{}_bucket{} {}\n", name, with_labels(l, fmt::format("le=\"{}\"", h->bounds()[i])),
                           counts[i]);
      out += fmt::format("{}_bucket{} {}\n", name, with_labels(l, "le=\"+Inf\""), counts.back());
      // _count from the same snapshot as the buckets: an observation landing mid-render
      // must not make _count and the +Inf bucket disagree.
      out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, with_labels(l), h->sum(), name, with_labels(l),
                         counts.back());
    }
  }
  return out;
}

}  // namespace xz::core
