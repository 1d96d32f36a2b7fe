#include "memory/local_short_memory.h"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "core/metrics.h"
#include "memory/memory_repository.h"
#include "store/store.h"

namespace xz::memory {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using providers::ChatMessage;

namespace {

bool worth_logging(std::uint64_t n) { return n == 1 || n == 10 || n == 100 || n % 1000 == 0; }

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The server's local date, so the model can date what it notes ("2024-05-01 (Wednesday)").
std::string today_text() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[48];
  std::strftime(buf, sizeof buf, "%Y-%m-%d (%A)", &tm);
  return buf;
}

}  // namespace

struct LocalShortMemory::Impl {
  Impl(LocalShortSettings settings, store::Store& st, providers::LlmEngine& engine,
       std::unique_ptr<providers::LlmEngine> owned_engine, asio::any_io_executor ex, core::Metrics* metrics)
      : s(settings),
        store(st),
        llm(engine),
        owned_llm(std::move(owned_engine)),
        strand(asio::make_strand(std::move(ex))),
        m(metrics ? *metrics : own_metrics),
        saved(m.counter("xiaozhi_memory_summaries_total", "Memory summaries by outcome", "result=\"saved\"")),
        failed(m.counter("xiaozhi_memory_summaries_total", "Memory summaries by outcome", "result=\"failed\"")),
        dropped(m.counter("xiaozhi_memory_summaries_total", "Memory summaries by outcome", "result=\"dropped\"")),
        skipped(m.counter("xiaozhi_memory_summaries_total", "Memory summaries by outcome", "result=\"skipped\"")),
        abandoned_count(
            m.counter("xiaozhi_memory_summaries_total", "Memory summaries by outcome", "result=\"abandoned\"")),
        abandon(strand) {}

  bool idle() {
    std::lock_guard lk(mu);
    return queued == 0 && workers == 0;
  }
  // On the strand.
  void notify_if_idle() {
    if (!idle()) return;
    for (auto& w : waiters) w->set();
    waiters.clear();
  }

  const LocalShortSettings s;
  store::Store& store;
  providers::LlmEngine& llm;
  std::unique_ptr<providers::LlmEngine> owned_llm;
  asio::strand<asio::any_io_executor> strand;
  core::Metrics own_metrics;  // when the server passes none
  core::Metrics& m;
  core::Counter &saved, &failed, &dropped, &skipped, &abandoned_count;
  std::atomic<bool> closed{false};  // the owner is gone: start nothing new
  // drain()'s deadline came: in-flight summaries stop (their LLM calls are cancelled).
  std::atomic<bool> abandoned{false};
  core::Event abandon;  // on the strand

  std::mutex mu;  // guards the queue below, filled from any loop
  std::map<std::string, std::deque<std::vector<ChatMessage>>> pending;  // per device, oldest first
  std::set<std::string> active;   // devices a worker is summarising
  std::deque<std::string> ready;  // devices waiting for a free worker
  std::size_t queued = 0;         // dialogues in `pending`
  std::size_t workers = 0;

  std::vector<std::shared_ptr<core::Event>> waiters;  // on the strand
};

namespace {

using Impl = LocalShortMemory::Impl;

// One summary: the previous memory and the dialogue in, the new memory out. Any
// failure keeps the previous memory.
asio::awaitable<void> summarise(std::shared_ptr<Impl> self, std::string device_id, std::vector<ChatMessage> dialogue) {
  auto& d = *self;
  try {
    std::optional<StoredMemory> previous;
    std::function<void(store::Database&)> load = [&previous, &device_id](store::Database& db) {
      previous = MemoryRepository(db).find(device_id);
    };
    co_await d.store.run(std::move(load));
    if (d.closed) throw std::runtime_error("the memory was closed before the summary started");

    SummaryPromptOptions opts;
    opts.max_chars = d.s.max_chars;
    opts.max_transcript_chars = d.s.max_dialogue_chars;
    opts.temperature = d.s.temperature;
    opts.max_tokens = d.s.max_tokens;
    opts.today = today_text();
    auto request = summary_request(previous ? previous->text : std::string(), dialogue, opts);

    // The answer is bounded: a model that rambles on is cut, not buffered without end.
    const std::size_t cap = d.s.max_chars * 8 + 4096;
    std::string answer;
    providers::ChatSink sink = [&answer, cap](const providers::ChatDelta& delta) {
      if (answer.size() < cap) answer.append(delta.text, 0, cap - answer.size());
    };
    // The LLM's failure comes back as a value: asio's `||` waits for one operation to
    // succeed, so a thrown error would wait out the timeout and be reported as one.
    auto chat = [&llm = d.llm, &sink](providers::ChatRequest req) -> asio::awaitable<std::string> {
      try {
        co_await llm.chat(std::move(req), std::move(sink));
      } catch (const std::exception& e) {
        co_return std::string(e.what());
      }
      co_return std::string();
    };
    core::Clock::duration limit = d.s.timeout;
    auto guarded = chat(std::move(request));
    auto outcome = co_await (std::move(guarded) || core::sleep_for(limit) || d.abandon.wait());
    if (outcome.index() == 2) throw std::runtime_error("given up at the shutdown deadline");
    if (outcome.index() == 1)
      throw std::runtime_error("the LLM did not finish within " + std::to_string(d.s.timeout.count() / 1000) + " s");
    if (const auto& failure = std::get<0>(outcome); !failure.empty()) throw std::runtime_error(failure);

    std::string text = clean_summary(answer, d.s.max_chars);
    if (text.empty()) throw std::runtime_error("the LLM answered with an empty summary");
    // The owner is gone (shutdown without drain): the store may be gone with it.
    if (d.closed) throw std::runtime_error("the memory was closed before the summary was saved");
    const auto at = now_unix_ms();
    std::function<void(store::Database&)> save = [&device_id, &text, at](store::Database& db) {
      MemoryRepository(db).save(device_id, text, at);
    };
    co_await d.store.run(std::move(save));
    d.saved.inc();
    spdlog::info("[dev={}] memory updated ({} characters)", device_id, utf8_length(text));
  } catch (const std::exception& e) {
    if (!d.abandoned) {  // else drain() has counted and logged it
      d.failed.inc();
      spdlog::warn("[dev={}] memory not updated, the previous memory is kept: {}", device_id, e.what());
    }
  }
}

// drain()'s deadline: nothing more is summarised. Says what is left, on the strand.
void abandon(Impl& d) {
  std::size_t dialogues = 0;
  std::vector<std::string> devices;
  {
    std::lock_guard lk(d.mu);
    dialogues = d.queued + d.active.size();  // queued, and one in flight per active device
    devices.assign(d.active.begin(), d.active.end());
    for (const auto& [device, queue] : d.pending)
      if (!queue.empty() && !d.active.contains(device)) devices.push_back(device);
  }
  d.abandoned = true;
  d.closed = true;
  d.abandoned_count.inc(dialogues);
  std::string shown;
  for (std::size_t i = 0; i < devices.size() && i < 10; ++i) shown += (i ? ", " : "") + devices[i];
  if (devices.size() > 10) shown += fmt::format(" and {} more", devices.size() - 10);
  spdlog::warn("memory: shutdown deadline reached; {} dialogue(s) of {} device(s) not summarised (their turns are "
               "in the chat history): {}",
               dialogues, devices.size(), shown);
  d.abandon.set();
}

// On the strand: true once nothing is queued or in flight, false at `until`.
asio::awaitable<bool> wait_idle(std::shared_ptr<Impl> self, core::Clock::time_point until) {
  while (!self->idle()) {
    const auto now = core::Clock::now();
    if (now >= until) co_return false;
    auto ev = std::make_shared<core::Event>(self->strand);
    self->waiters.push_back(ev);
    if (until == core::Clock::time_point::max())
      co_await ev->wait();
    else
      co_await core::with_timeout(ev->wait(), until - now);
  }
  co_return true;
}

// Works through one device's queue, then takes the next waiting device.
asio::awaitable<void> device_worker(std::shared_ptr<Impl> self, std::string device_id) {
  auto& d = *self;
  for (;;) {
    std::vector<ChatMessage> dialogue;
    {
      std::lock_guard lk(d.mu);
      auto it = d.pending.find(device_id);
      if (it != d.pending.end() && d.closed) {
        d.queued -= it->second.size();
        it->second.clear();
      }
      if (it == d.pending.end() || it->second.empty()) {
        if (it != d.pending.end()) d.pending.erase(it);
        d.active.erase(device_id);
        if (!d.ready.empty()) {
          device_id = std::move(d.ready.front());
          d.ready.pop_front();
          d.active.insert(device_id);
          continue;
        }
        --d.workers;
        break;
      }
      dialogue = std::move(it->second.front());
      it->second.pop_front();
      --d.queued;
    }
    auto device = device_id;
    co_await summarise(self, std::move(device), std::move(dialogue));
  }
  d.notify_if_idle();
}

}  // namespace

LocalShortMemory::LocalShortMemory(LocalShortSettings settings, store::Store& store, providers::LlmEngine& llm,
                                   std::unique_ptr<providers::LlmEngine> owned_llm, asio::any_io_executor ex,
                                   core::Metrics* metrics)
    : impl_(std::make_shared<Impl>(settings, store, llm, std::move(owned_llm), std::move(ex), metrics)) {}

LocalShortMemory::~LocalShortMemory() { impl_->closed = true; }

asio::awaitable<std::string> LocalShortMemory::recall(std::string device_id) {
  auto self = impl_;
  std::optional<StoredMemory> found;
  std::function<void(store::Database&)> job = [&found, &device_id](store::Database& db) {
    found = MemoryRepository(db).find(device_id);
  };
  try {
    co_await self->store.run(std::move(job));
  } catch (const std::exception& e) {
    // A turn without its memory is better than no turn.
    spdlog::warn("[dev={}] memory cannot be read: {}", device_id, e.what());
    co_return std::string();
  }
  co_return found ? found->text : std::string();
}

void LocalShortMemory::remember(std::string device_id, std::vector<ChatMessage> dialogue) {
  auto& d = *impl_;
  try {
    if (d.closed) return;
    std::erase_if(dialogue, [](const ChatMessage& m) { return m.role == "system"; });
    if (device_id.empty() || !has_user_message(dialogue)) {
      d.skipped.inc();
      return;
    }
    bool full = false;
    bool start = false;
    {
      std::lock_guard lk(d.mu);
      if (d.queued >= d.s.queue_size) {
        full = true;
      } else {
        d.pending[device_id].push_back(std::move(dialogue));
        ++d.queued;
        bool waiting = std::find(d.ready.begin(), d.ready.end(), device_id) != d.ready.end();
        if (!d.active.count(device_id) && !waiting) {
          if (d.workers < d.s.concurrency) {
            d.active.insert(device_id);
            ++d.workers;
            start = true;
          } else {
            d.ready.push_back(device_id);
          }
        }
      }
    }
    if (full) {
      d.dropped.inc();
      if (worth_logging(d.dropped.value()))
        spdlog::warn("[dev={}] memory: summary queue full ({} dialogues); this session is not remembered "
                     "({} dropped so far)",
                     device_id, d.s.queue_size, d.dropped.value());
      return;
    }
    // Posted, not started inline: the caller's loop turn stays short and re-entrancy free.
    if (start)
      asio::post(d.strand, [self = impl_, device_id] {
        asio::co_spawn(self->strand, device_worker(self, device_id), asio::detached);
      });
  } catch (const std::exception& e) {
    spdlog::error("[dev={}] memory: cannot queue the session's summary: {}", device_id, e.what());
  }
}

asio::awaitable<void> LocalShortMemory::drain(core::Clock::time_point deadline) {
  auto self = impl_;
  auto ex = self->strand;
  auto wait = [self, deadline]() -> asio::awaitable<void> {
    if (co_await wait_idle(self, deadline)) co_return;
    abandon(*self);
    // The workers end at once now (no LLM call left, nothing saved): let them unwind
    // before the owner closes the store.
    co_await wait_idle(self, core::Clock::now() + std::chrono::milliseconds(500));
  };
  // Not cancellable: asio 1.81 can terminate when a co_spawn is cancelled before it starts.
  co_await asio::co_spawn(ex, std::move(wait),
                          asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

MemoryStats LocalShortMemory::stats() const {
  const auto& d = *impl_;
  return {d.saved.value(), d.failed.value(), d.dropped.value(), d.skipped.value(), d.abandoned_count.value()};
}

}  // namespace xz::memory
