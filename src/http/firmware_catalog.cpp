#include "http/firmware_catalog.h"

#include <algorithm>
#include <filesystem>
#include <regex>

#include <spdlog/spdlog.h>

#include "core/async.h"

namespace xz::http {

namespace {

std::vector<long long> version_parts(std::string_view v) {
  std::vector<long long> parts;
  std::size_t i = 0;
  while (i <= v.size()) {
    std::size_t dot = v.find('.', i);
    if (dot == std::string_view::npos) dot = v.size();
    long long n = 0;
    for (std::size_t k = i; k < dot && v[k] >= '0' && v[k] <= '9'; ++k)
      n = n < 100000000000LL ? n * 10 + (v[k] - '0') : n;
    parts.push_back(n);
    i = dot + 1;
  }
  return parts;
}

std::vector<std::string> list_bin_files(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  if (ec) return names;  // no data/bin: nothing to offer
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec)) names.push_back(it->path().filename().string());
    if (names.size() >= 10000) break;
  }
  return names;
}

}  // namespace

std::optional<FirmwareImage> parse_firmware_file_name(std::string_view name) {
  static const std::regex kPattern(R"(^(.+?)_([0-9][A-Za-z0-9\.\-_]*)\.bin$)");
  std::match_results<std::string_view::const_iterator> m;
  if (name.size() > 255 || !std::regex_match(name.begin(), name.end(), m, kPattern)) return std::nullopt;
  return FirmwareImage{m[1].str(), m[2].str(), std::string(name)};
}

bool is_numeric_version(std::string_view v) {
  if (v.empty() || v.size() > 32) return false;
  bool digit_seen = false;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      digit_seen = true;
    } else if (c == '.' && digit_seen) {
      digit_seen = false;
    } else {
      return false;
    }
  }
  return digit_seen;
}

int compare_versions(std::string_view a, std::string_view b) {
  auto pa = version_parts(a), pb = version_parts(b);
  std::size_t n = std::max(pa.size(), pb.size());
  for (std::size_t i = 0; i < n; ++i) {
    long long x = i < pa.size() ? pa[i] : 0, y = i < pb.size() ? pb[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::map<std::string, FirmwareImage> newest_by_model(std::span<const std::string> file_names) {
  std::map<std::string, FirmwareImage> out;
  for (const auto& name : file_names) {
    auto img = parse_firmware_file_name(name);
    if (!img) continue;
    if (!is_numeric_version(img->version)) {
      spdlog::warn("firmware {}: version '{}' is not digits and dots; devices cannot compare it, skipped", name,
                   img->version);
      continue;
    }
    auto it = out.find(img->model);
    if (it == out.end() || compare_versions(img->version, it->second.version) > 0) out[img->model] = *img;
  }
  return out;
}

FirmwareCatalog::FirmwareCatalog(std::string bin_dir, std::chrono::seconds ttl, boost::asio::thread_pool& pool)
    : dir_(std::move(bin_dir)), ttl_(ttl), pool_(pool) {}

boost::asio::awaitable<std::shared_ptr<const FirmwareCatalog::Index>> FirmwareCatalog::index() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lk(mu_);
    if (cached_ && ttl_.count() > 0 && now - loaded_at_ < ttl_) co_return cached_;
  }
  // Named, not a temporary in the co_await: g++ 12 would destroy its captures twice.
  auto scan = [dir = dir_] {
    auto names = list_bin_files(dir);
    return std::make_shared<const Index>(newest_by_model(names));
  };
  auto fresh = co_await core::offload(pool_, std::move(scan));
  std::lock_guard lk(mu_);
  cached_ = fresh;
  loaded_at_ = now;
  co_return fresh;
}

boost::asio::awaitable<std::optional<FirmwareImage>> FirmwareCatalog::newer_than(std::string model,
                                                                                 std::string current_version) {
  if (model.empty()) co_return std::nullopt;
  auto idx = co_await index();
  auto it = idx->find(model);
  if (it == idx->end() || compare_versions(it->second.version, current_version) <= 0) co_return std::nullopt;
  co_return it->second;
}

}  // namespace xz::http
