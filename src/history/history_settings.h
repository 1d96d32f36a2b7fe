#pragma once
// What the chat history reads from the configuration (every key has a default, so a
// configuration without these sections works):
//
//   chat_history: {enabled, store_audio, queue_size, queue_audio_bytes,
//                  max_turns_per_device, max_audio_bytes_per_turn,
//                  upload, upload_audio, upload_queue_size, drain_upload_grace}
//   manager-api:  {url, secret, timeout, max_retries, retry_delay}   (the reference's keys)
#include <chrono>
#include <cstddef>
#include <string>

#include "core/config.h"

namespace xz::history {

struct ManagerApiSettings {
  std::string url;     // base, e.g. http://127.0.0.1:8002/xiaozhi; empty = no upload
  std::string secret;  // sent as "Authorization: Bearer <secret>"
  std::chrono::milliseconds timeout{30000};
  int max_retries = 6;  // after the first attempt
  std::chrono::milliseconds retry_delay{10000};      // first back-off, doubled per retry
  std::chrono::milliseconds max_retry_delay{60000};  // back-off cap
};

struct HistorySettings {
  bool enabled = true;
  bool store_audio = false;  // keep the user's Opus audio in the database
  std::size_t queue_size = 1000;
  std::size_t queue_audio_bytes = 8u << 20;
  std::size_t max_turns_per_device = 1000;  // 0 = keep everything
  std::size_t max_audio_bytes_per_turn = 1u << 20;
  bool upload = true;         // only when manager.url is set
  bool upload_audio = false;  // user audio as base64 WAV in the reports
  std::size_t upload_queue_size = 1000;
  // drain() gives up uploads still failing this long after it began.
  std::chrono::milliseconds drain_upload_grace{10000};
  ManagerApiSettings manager;

  bool uploads() const { return enabled && upload && !manager.url.empty(); }
  // Whether conversations should collect the user's audio at all.
  bool collects_audio() const { return enabled && (store_audio || (uploads() && upload_audio)); }

  // Reads the keys above. A manager URL that is not http(s):// (e.g. the reference's
  // placeholder text) counts as unset and is reported in *warning.
  static HistorySettings from_config(const core::Config& cfg, std::string* warning = nullptr);
};

}  // namespace xz::history
