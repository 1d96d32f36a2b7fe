#pragma once
// Firmware images an operator drops into data/bin as {model}_{version}.bin, and the
// question the OTA check asks: is there a newer image for this board? The directory
// listing is cached for a few seconds and read on the worker pool.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace boost::asio {
class thread_pool;
}

namespace xz::http {

struct FirmwareImage {
  std::string model;
  std::string version;
  std::string file_name;
};

// "bread-compact-wifi_2.4.3.bin" -> {bread-compact-wifi, 2.4.3}; the reference's rule
// ^(.+?)_([0-9][A-Za-z0-9.\-_]*)\.bin$ (so the model ends at the first "_<digit>").
std::optional<FirmwareImage> parse_firmware_file_name(std::string_view name);

// Versions the firmware itself can compare: digits separated by dots ("2.4.3").
// The firmware std::stoi()s each part and crashes on other text, so only these are
// ever offered.
bool is_numeric_version(std::string_view v);

// Numeric dotted comparison: <0, 0, >0. Missing parts count as 0 ("1.2" == "1.2.0");
// each part is read up to its first non-digit ("3-rc" is 3).
int compare_versions(std::string_view a, std::string_view b);

// The newest offerable image per model among file names.
std::map<std::string, FirmwareImage> newest_by_model(std::span<const std::string> file_names);

class FirmwareCatalog {
 public:
  // ttl 0 re-reads the directory on every question.
  FirmwareCatalog(std::string bin_dir, std::chrono::seconds ttl, boost::asio::thread_pool& pool);

  // The newest image for `model` if it is newer than `current_version`.
  boost::asio::awaitable<std::optional<FirmwareImage>> newer_than(std::string model, std::string current_version);

  const std::string& directory() const { return dir_; }

 private:
  using Index = std::map<std::string, FirmwareImage>;
  boost::asio::awaitable<std::shared_ptr<const Index>> index();

  std::string dir_;
  std::chrono::seconds ttl_;
  boost::asio::thread_pool& pool_;
  std::mutex mu_;  // handlers on several loops share the cache
  std::shared_ptr<const Index> cached_;
  std::chrono::steady_clock::time_point loaded_at_;
};

}  // namespace xz::http
