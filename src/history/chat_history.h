#pragma once
// The chat history of every device: each turn goes into a bounded queue and one writer
// coroutine off the event loops stores it in the database (and, when a manager API is
// configured, one uploader reports it there in the reference's format).
//
// record() is called on event loops and never waits: when the queue is over its
// audio budget the turn's audio is dropped first; when it is full the turn is dropped.
// Both are counted and logged. drain() is for graceful shutdown, before the store
// closes: it completes when everything recorded so far is written and uploaded (or
// failed and logged). The Store and the pool must outlive the writer, i.e. drain()
// must have completed before they are closed/stopped.
#include <cstddef>
#include <cstdint>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "history/history_settings.h"
#include "history/turn_record.h"

namespace boost::asio {
class thread_pool;
}
namespace xz::core {
class Metrics;
}
namespace xz::store {
class Store;
}
namespace xz::net {
struct HttpClientOptions;
}

namespace xz::history {

struct HistoryStats {
  std::uint64_t written = 0;        // turns stored
  std::uint64_t write_failed = 0;   // turns the database refused (logged)
  std::uint64_t dropped = 0;        // turns dropped because the queue was full
  std::uint64_t audio_dropped = 0;  // turns stored without their audio (budget or size)
  std::uint64_t reports_sent = 0;
  std::uint64_t reports_failed = 0;   // given up after retries (logged)
  std::uint64_t reports_dropped = 0;  // upload queue full
};

class ChatHistory {  // one per server
 public:
  // Counters go to `metrics` when given (xiaozhi_chat_history_*).
  ChatHistory(HistorySettings settings, store::Store& store, boost::asio::thread_pool& pool,
              core::Metrics* metrics = nullptr);
  ChatHistory(HistorySettings settings, store::Store& store, boost::asio::thread_pool& pool, core::Metrics* metrics,
              const net::HttpClientOptions& http);
  ~ChatHistory();
  ChatHistory(const ChatHistory&) = delete;
  ChatHistory& operator=(const ChatHistory&) = delete;

  // Never blocks, never throws.
  void record(TurnRecord r);
  // Graceful shutdown: everything queued is written/uploaded (or failed and logged).
  // Uploads still retrying `drain_upload_grace` after drain() began are given up.
  boost::asio::awaitable<void> drain();
  // Whether the conversation should collect the user's audio.
  bool store_audio() const;
  // Whether turns are reported to the manager-api.
  bool uploads() const;
  // The session ended: after its reports, the manager is asked to title it and, with
  // save_summary, to write the device's memory summary (the reference's calls on close).
  // Nothing when nothing is uploaded. Never blocks, never throws.
  void end_session(std::string device_id, std::string session_id, bool save_summary);
  bool enabled() const;

  HistoryStats stats() const;
  // Turns waiting for the writer.
  std::size_t queued() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xz::history
