#pragma once
// A bounded sample of one measured quantity (milliseconds): exact count, sum, min and
// max, plus up to `capacity` values for percentiles, kept by reservoir sampling once
// more arrive. Used by one thread; merge() combines the sets of several loops.
#include <cstdint>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::sim {

class SampleSet {
 public:
  static constexpr std::size_t kDefaultCapacity = 100'000;

  explicit SampleSet(std::size_t capacity = kDefaultCapacity);

  void add(double v);
  // Adds everything `other` saw. Past the capacity the merged values are a random
  // subset weighted by each side's count.
  void merge(const SampleSet& other);

  std::uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  double min() const { return min_; }
  double max() const { return max_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  // Nearest-rank percentile (p in [0, 100]) of the kept values; 0 when empty.
  double percentile(double p) const;
  // Share of the kept values above `limit` (0..1).
  double fraction_above(double limit) const;
  const std::vector<double>& values() const { return values_; }

  // {"count", "min", "mean", "p50", "p90", "p95", "p99", "max"} (null figures when
  // empty); with `raw`, also "samples": the kept values rounded to 0.01.
  nlohmann::json to_json(bool raw) const;
  // Rebuilds a set from to_json(true) output: exact count, sum (from the mean), min and
  // max, and the kept samples. Throws std::invalid_argument on a malformed object.
  static SampleSet from_json(const nlohmann::json& j, std::size_t capacity = kDefaultCapacity);

 private:
  std::size_t capacity_;
  std::uint64_t count_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
  std::vector<double> values_;
  std::minstd_rand rng_{12345};
  mutable std::vector<double> sorted_;
  mutable bool sorted_valid_ = false;

  const std::vector<double>& sorted() const;
};

}  // namespace xz::sim
