#include "sim/load/sample_set.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xz::sim {

SampleSet::SampleSet(std::size_t capacity) : capacity_(capacity) {
  if (capacity_ == 0) throw std::invalid_argument("SampleSet: capacity must be at least 1");
}

void SampleSet::add(double v) {
  if (!std::isfinite(v)) return;
  if (count_ == 0) {
    min_ = max_ = v;
  } else {
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  ++count_;
  sum_ += v;
  sorted_valid_ = false;
  if (values_.size() < capacity_) {
    values_.push_back(v);
    return;
  }
  // Algorithm R: the i-th value replaces a kept one with probability capacity / i.
  std::uniform_int_distribution<std::uint64_t> pick(0, count_ - 1);
  if (auto j = pick(rng_); j < capacity_) values_[j] = v;
}

void SampleSet::merge(const SampleSet& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  const std::uint64_t mine = count_;
  count_ += other.count_;
  sum_ += other.sum_;
  sorted_valid_ = false;
  if (values_.size() + other.values_.size() <= capacity_) {
    values_.insert(values_.end(), other.values_.begin(), other.values_.end());
    return;
  }
  // Each side contributes in proportion to how many values it stands for.
  const double share = static_cast<double>(mine) / static_cast<double>(count_);
  auto take_mine = std::min(values_.size(), static_cast<std::size_t>(std::llround(share * static_cast<double>(capacity_))));
  auto take_other = std::min(other.values_.size(), capacity_ - take_mine);
  std::vector<double> a = values_, b = other.values_;
  std::shuffle(a.begin(), a.end(), rng_);
  std::shuffle(b.begin(), b.end(), rng_);
  a.resize(take_mine);
  a.insert(a.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(take_other));
  values_ = std::move(a);
}

const std::vector<double>& SampleSet::sorted() const {
  if (!sorted_valid_) {
    sorted_ = values_;
    std::sort(sorted_.begin(), sorted_.end());
    sorted_valid_ = true;
  }
  return sorted_;
}

double SampleSet::percentile(double p) const {
  const auto& s = sorted();
  if (s.empty()) return 0.0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(s.size())));
  return s[rank == 0 ? 0 : rank - 1];
}

double SampleSet::fraction_above(double limit) const {
  const auto& s = sorted();
  if (s.empty()) return 0.0;
  auto it = std::upper_bound(s.begin(), s.end(), limit);
  return static_cast<double>(s.end() - it) / static_cast<double>(s.size());
}

nlohmann::json SampleSet::to_json(bool raw) const {
  auto round2 = [](double v) { return std::round(v * 100.0) / 100.0; };
  nlohmann::json j = {{"count", count_}};
  if (count_ == 0) {
    for (const char* k : {"min", "mean", "p50", "p90", "p95", "p99", "max"}) j[k] = nullptr;
  } else {
    j["min"] = round2(min_);
    j["mean"] = round2(mean());
    j["p50"] = round2(percentile(50));
    j["p90"] = round2(percentile(90));
    j["p95"] = round2(percentile(95));
    j["p99"] = round2(percentile(99));
    j["max"] = round2(max_);
  }
  if (raw) {
    nlohmann::json samples = nlohmann::json::array();
    for (double v : values_) samples.push_back(round2(v));
    j["samples"] = std::move(samples);
  }
  return j;
}

SampleSet SampleSet::from_json(const nlohmann::json& j, std::size_t capacity) {
  if (!j.is_object() || !j.contains("count") || !j["count"].is_number_unsigned())
    throw std::invalid_argument("sample set: an object with a non-negative \"count\" expected");
  SampleSet s(capacity);
  const auto count = j["count"].get<std::uint64_t>();
  if (count == 0) return s;
  auto number = [&j](const char* key) {
    if (!j.contains(key) || !j[key].is_number())
      throw std::invalid_argument(std::string("sample set: \"") + key + "\" must be a number");
    return j[key].get<double>();
  };
  if (auto it = j.find("samples"); it != j.end()) {
    if (!it->is_array()) throw std::invalid_argument("sample set: \"samples\" must be an array");
    for (const auto& v : *it) {
      if (!v.is_number()) throw std::invalid_argument("sample set: a sample is not a number");
      if (s.values_.size() < capacity) s.values_.push_back(v.get<double>());
    }
  }
  s.count_ = count;
  s.min_ = number("min");
  s.max_ = number("max");
  s.sum_ = number("mean") * static_cast<double>(count);
  return s;
}

}  // namespace xz::sim
