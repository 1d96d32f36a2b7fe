#include "history/chat_history.h"

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <algorithm>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "core/metrics.h"
#include "history/history_repository.h"
#include "history/manager_report.h"
#include "history/manager_reporter.h"
#include "history/opus_packets.h"
#include "net/http_client.h"
#include "store/store.h"

namespace xz::history {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kWriteBatch = 64;

// Logs the 1st, 10th, 100th, ... and then every 1000th occurrence: an overloaded
// server must not also flood its log.
bool worth_logging(std::uint64_t n) {
  return n == 1 || n == 10 || n == 100 || n % 1000 == 0;
}

}  // namespace

struct ChatHistory::Impl {
  Impl(HistorySettings settings, store::Store& st, asio::thread_pool& pool, core::Metrics* metrics,
       const net::HttpClientOptions& http)
      : s(std::move(settings)),
        store(st),
        strand(asio::make_strand(pool.get_executor())),
        m(metrics ? *metrics : own_metrics),
        written(m.counter("xiaozhi_chat_history_turns_total", "Chat-history turns by outcome", "result=\"written\"")),
        write_failed(m.counter("xiaozhi_chat_history_turns_total", "Chat-history turns by outcome", "result=\"failed\"")),
        dropped(m.counter("xiaozhi_chat_history_turns_total", "Chat-history turns by outcome", "result=\"dropped\"")),
        audio_dropped(m.counter("xiaozhi_chat_history_audio_dropped_total",
                                "Turns stored without their audio (queue budget or size limit)")),
        reports_sent(m.counter("xiaozhi_chat_history_reports_total", "Manager API reports by outcome", "result=\"sent\"")),
        reports_failed(
            m.counter("xiaozhi_chat_history_reports_total", "Manager API reports by outcome", "result=\"failed\"")),
        reports_dropped(
            m.counter("xiaozhi_chat_history_reports_total", "Manager API reports by outcome", "result=\"dropped\"")) {
    if (s.uploads()) reporter = std::make_unique<ManagerReporter>(s.manager, http);
  }

  // On the strand: whether nothing is queued, being written or being uploaded.
  bool idle() {
    std::lock_guard lk(mu);
    return queue.empty() && !writer_scheduled && uploads.empty() && !uploader_running;
  }
  // On the strand.
  void notify_if_idle() {
    if (!idle()) return;
    for (auto& w : waiters) w->set();
    waiters.clear();
  }

  const HistorySettings s;
  store::Store& store;
  asio::strand<asio::thread_pool::executor_type> strand;
  core::Metrics own_metrics;  // when the server passes none
  core::Metrics& m;
  core::Counter &written, &write_failed, &dropped, &audio_dropped, &reports_sent, &reports_failed, &reports_dropped;
  std::unique_ptr<ManagerReporter> reporter;
  std::atomic<bool> closed{false};  // the owner is gone: stop touching the store

  std::mutex mu;  // guards the intake, filled from any loop
  std::deque<TurnRecord> queue;
  std::size_t queued_audio_bytes = 0;
  bool writer_scheduled = false;

  // Only on the strand:
  std::deque<ManagerReport> uploads;
  bool uploader_running = false;
  std::optional<Clock::time_point> give_up_at;
  std::vector<std::shared_ptr<core::Event>> waiters;
};

namespace {

using Impl = ChatHistory::Impl;

asio::awaitable<void> upload_loop(std::shared_ptr<Impl> self) {
  auto& d = *self;
  std::function<bool()> give_up = [&d] {
    return d.closed.load() || (d.give_up_at && Clock::now() >= *d.give_up_at);
  };
  while (!d.uploads.empty() && !d.closed) {
    ManagerReport report = std::move(d.uploads.front());
    d.uploads.pop_front();
    const auto device = report.mac_address;
    const std::string what = report.kind == ManagerReport::Kind::chat
                                 ? "report (chatType " + std::to_string(static_cast<int>(report.chat_type)) + ")"
                                 : std::string(report.kind == ManagerReport::Kind::title ? "title" : "summary") +
                                       " of session " + report.session_id;
    const std::string where = d.reporter->url(report_path(report));
    std::string error;
    try {
      auto check = give_up;
      auto e = co_await d.reporter->send(std::move(report), std::move(check));
      error = std::move(e);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (error.empty()) {
      d.reports_sent.inc();
    } else {
      d.reports_failed.inc();
      spdlog::warn("[dev={}] chat history: {} to {} failed: {}", device, what, where, error);
    }
  }
  d.uploader_running = false;
  d.notify_if_idle();
}

// On the strand, after a batch is written.
void queue_reports(const std::shared_ptr<Impl>& self, std::vector<TurnRecord>& batch) {
  auto& d = *self;
  for (auto& t : batch) {
    std::vector<ManagerReport> reports;
    if (t.session_end) {
      reports.push_back({t.device_id, t.session_id, ChatType::user, {}, 0, std::nullopt, ManagerReport::Kind::title});
      if (t.save_summary)
        reports.push_back({t.device_id, t.session_id, ChatType::user, {}, 0, std::nullopt, ManagerReport::Kind::summary});
    } else if (t.report_mode != 0) {
      const bool with_audio = t.report_mode == 2 || (t.report_mode < 0 && d.s.upload_audio);
      auto wav_of = [&](const std::vector<std::string>& packets, const char* whose) -> std::optional<std::string> {
        if (!with_audio || packets.empty()) return std::nullopt;
        try {
          return opus_packets_to_wav(packets);
        } catch (const std::exception& e) {
          spdlog::warn("[dev={}] chat history: the {}'s audio cannot be decoded for upload: {}", t.device_id, whose,
                       e.what());
          return std::nullopt;
        }
      };
      reports = reports_for_turn(t, wav_of(t.user_audio_opus, "user"), wav_of(t.assistant_audio_opus, "reply"));
    }
    for (auto& r : reports) {
      if (d.uploads.size() >= d.s.upload_queue_size) {
        d.reports_dropped.inc();
        if (worth_logging(d.reports_dropped.value()))
          spdlog::warn("chat history: upload queue full ({} reports); {} report(s) dropped so far",
                       d.s.upload_queue_size, d.reports_dropped.value());
        continue;
      }
      d.uploads.push_back(std::move(r));
    }
  }
  if (!d.uploads.empty() && !d.uploader_running) {
    d.uploader_running = true;
    asio::co_spawn(d.strand, upload_loop(self), asio::detached);
  }
}

asio::awaitable<void> write_batch(std::shared_ptr<Impl> self, std::span<const TurnRecord> batch) {
  auto& d = *self;
  std::function<void(store::Database&)> job = [batch, keep = d.s.max_turns_per_device,
                                               audio = d.s.store_audio](store::Database& db) {
    HistoryRepository(db).insert(batch, keep, audio);
  };
  try {
    co_await d.store.run(std::move(job));
    d.written.inc(batch.size());
  } catch (const std::exception& e) {
    d.write_failed.inc(batch.size());
    spdlog::error("chat history: {} turn(s) not stored: {}", batch.size(), e.what());
  }
}

asio::awaitable<void> write_loop(std::shared_ptr<Impl> self) {
  auto& d = *self;
  for (;;) {
    std::vector<TurnRecord> batch;
    {
      std::lock_guard lk(d.mu);
      if (d.queue.empty() || d.closed) {
        d.queue.clear();
        d.queued_audio_bytes = 0;
        d.writer_scheduled = false;
        break;
      }
      while (!d.queue.empty() && batch.size() < kWriteBatch) {
        d.queued_audio_bytes -= std::min(d.queued_audio_bytes, packed_size(d.queue.front().user_audio_opus) +
                                                                    packed_size(d.queue.front().assistant_audio_opus));
        batch.push_back(std::move(d.queue.front()));
        d.queue.pop_front();
      }
    }
    // Session ends are not stored; moved behind the turns, each stays after its session's turns.
    auto ends = std::stable_partition(batch.begin(), batch.end(), [](const TurnRecord& t) { return !t.session_end; });
    if (ends != batch.begin()) co_await write_batch(self, std::span<const TurnRecord>(batch.data(), static_cast<std::size_t>(ends - batch.begin())));
    if (d.reporter && !d.closed) queue_reports(self, batch);
  }
  d.notify_if_idle();
}

}  // namespace

ChatHistory::ChatHistory(HistorySettings settings, store::Store& store, asio::thread_pool& pool,
                         core::Metrics* metrics)
    : ChatHistory(std::move(settings), store, pool, metrics, net::HttpClientOptions{}) {}

ChatHistory::ChatHistory(HistorySettings settings, store::Store& store, asio::thread_pool& pool,
                         core::Metrics* metrics, const net::HttpClientOptions& http)
    : impl_(std::make_shared<Impl>(std::move(settings), store, pool, metrics, http)) {
  const auto& s = impl_->s;
  if (!s.enabled)
    spdlog::info("chat history: off");
  else
    spdlog::info("chat history: on (audio {}, keep {} turns per device{})", s.store_audio ? "stored" : "not stored",
                 s.max_turns_per_device, s.uploads() ? ", reported to " + impl_->reporter->endpoint() : "");
}

ChatHistory::~ChatHistory() { impl_->closed = true; }

void ChatHistory::record(TurnRecord r) {
  auto& d = *impl_;
  if (!d.s.enabled || d.closed) return;
  if (r.device_id.empty()) {
    d.write_failed.inc();
    spdlog::warn("chat history: a turn without a device id is not recorded");
    return;
  }
  try {
    std::size_t audio = packed_size(r.user_audio_opus) + packed_size(r.assistant_audio_opus);
    bool start = false;
    bool full = false;
    bool audio_cut = false;
    {
      std::lock_guard lk(d.mu);
      if (d.queue.size() >= d.s.queue_size) {
        full = true;
      } else {
        bool oversized = audio > d.s.max_audio_bytes_per_turn;
        for (const auto& p : r.user_audio_opus) oversized = oversized || p.size() > kMaxOpusPacketBytes;
        for (const auto& p : r.assistant_audio_opus) oversized = oversized || p.size() > kMaxOpusPacketBytes;
        if (audio > 0 && (oversized || d.queued_audio_bytes + audio > d.s.queue_audio_bytes)) {
          r.user_audio_opus.clear();
          r.assistant_audio_opus.clear();
          audio = 0;
          audio_cut = true;
        }
        d.queued_audio_bytes += audio;
        d.queue.push_back(std::move(r));
        if (!d.writer_scheduled) d.writer_scheduled = start = true;
      }
    }
    if (full) {
      d.dropped.inc();
      if (worth_logging(d.dropped.value()))
        spdlog::warn("[dev={}] chat history: queue full ({} turns); turn dropped ({} dropped so far)", r.device_id,
                     d.s.queue_size, d.dropped.value());
      return;
    }
    if (audio_cut) {
      d.audio_dropped.inc();
      if (worth_logging(d.audio_dropped.value()))
        spdlog::warn("chat history: audio budget exceeded; a turn is stored without its audio ({} so far)",
                     d.audio_dropped.value());
    }
    if (start) {
      try {
        asio::co_spawn(d.strand, write_loop(impl_), asio::detached);
      } catch (...) {
        std::lock_guard lk(d.mu);
        d.writer_scheduled = false;
        throw;
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("chat history: cannot queue a turn: {}", e.what());
  }
}

asio::awaitable<void> ChatHistory::drain() {
  auto self = impl_;
  auto ex = self->strand;
  auto wait = [self]() -> asio::awaitable<void> {
    auto& d = *self;
    if (!d.give_up_at) d.give_up_at = Clock::now() + d.s.drain_upload_grace;
    while (!d.idle()) {
      auto ev = std::make_shared<core::Event>(d.strand);
      d.waiters.push_back(ev);
      co_await ev->wait();
    }
  };
  // Not cancellable: asio 1.81 can terminate when a co_spawn is cancelled before it starts.
  co_await asio::co_spawn(ex, std::move(wait),
                          asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

bool ChatHistory::store_audio() const { return impl_->s.collects_audio(); }
bool ChatHistory::uploads() const { return impl_->s.uploads(); }

void ChatHistory::end_session(std::string device_id, std::string session_id, bool save_summary) {
  if (!impl_->s.uploads()) return;
  TurnRecord r;
  r.device_id = std::move(device_id);
  r.session_id = std::move(session_id);
  r.kind = "session_end";
  r.session_end = true;
  r.save_summary = save_summary;
  record(std::move(r));
}
bool ChatHistory::enabled() const { return impl_->s.enabled; }

HistoryStats ChatHistory::stats() const {
  const auto& d = *impl_;
  return {d.written.value(),      d.write_failed.value(),   d.dropped.value(),        d.audio_dropped.value(),
          d.reports_sent.value(), d.reports_failed.value(), d.reports_dropped.value()};
}

std::size_t ChatHistory::queued() const {
  std::lock_guard lk(impl_->mu);
  return impl_->queue.size();
}

}  // namespace xz::history
