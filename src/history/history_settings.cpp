#include "history/history_settings.h"

#include <algorithm>
#include <cmath>

namespace xz::history {

namespace {

// Sizes and counts: negative or non-numeric values fall back to the default.
std::size_t count_at(const core::Config& cfg, std::string_view path, std::size_t fallback) {
  double v = cfg.get<double>(path, static_cast<double>(fallback));
  if (!std::isfinite(v) || v < 0) return fallback;
  return static_cast<std::size_t>(std::min(v, 1e15));
}

std::chrono::milliseconds seconds_at(const core::Config& cfg, std::string_view path, std::chrono::milliseconds fallback) {
  double v = cfg.get<double>(path, static_cast<double>(fallback.count()) / 1000.0);
  if (!std::isfinite(v) || v < 0) return fallback;
  return std::chrono::milliseconds(static_cast<long long>(std::min(v, 1e9) * 1000.0));
}

bool is_http_url(std::string_view url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

}  // namespace

HistorySettings HistorySettings::from_config(const core::Config& cfg, std::string* warning) {
  HistorySettings s;
  s.enabled = cfg.get<bool>("chat_history.enabled", s.enabled);
  s.store_audio = cfg.get<bool>("chat_history.store_audio", s.store_audio);
  s.queue_size = std::max<std::size_t>(1, count_at(cfg, "chat_history.queue_size", s.queue_size));
  s.queue_audio_bytes = count_at(cfg, "chat_history.queue_audio_bytes", s.queue_audio_bytes);
  s.max_turns_per_device = count_at(cfg, "chat_history.max_turns_per_device", s.max_turns_per_device);
  s.max_audio_bytes_per_turn = count_at(cfg, "chat_history.max_audio_bytes_per_turn", s.max_audio_bytes_per_turn);
  s.upload = cfg.get<bool>("chat_history.upload", s.upload);
  s.upload_audio = cfg.get<bool>("chat_history.upload_audio", s.upload_audio);
  s.upload_queue_size = std::max<std::size_t>(1, count_at(cfg, "chat_history.upload_queue_size", s.upload_queue_size));

  s.drain_upload_grace = seconds_at(cfg, "chat_history.drain_upload_grace", s.drain_upload_grace);

  auto& m = s.manager;
  std::string url = cfg.str("manager-api.url");
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.empty() && !is_http_url(url)) {
    if (warning) *warning = "manager-api.url: '" + url + "' is not an http(s) URL; chat history is not uploaded";
    url.clear();
  }
  m.url = url;
  m.secret = cfg.str("manager-api.secret");
  m.timeout = seconds_at(cfg, "manager-api.timeout", m.timeout);
  if (m.timeout.count() == 0) m.timeout = std::chrono::milliseconds(30000);
  m.max_retries = static_cast<int>(std::min<std::size_t>(count_at(cfg, "manager-api.max_retries", static_cast<std::size_t>(m.max_retries)), 100));
  m.retry_delay = seconds_at(cfg, "manager-api.retry_delay", m.retry_delay);
  m.max_retry_delay = std::max(m.retry_delay, seconds_at(cfg, "manager-api.max_retry_delay", m.max_retry_delay));
  return s;
}

}  // namespace xz::history
