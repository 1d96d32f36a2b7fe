#include "memory/mem0_memory.h"

#include <atomic>
#include <cmath>
#include <deque>
#include <mutex>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "core/metrics.h"
#include "memory/mem0_wire.h"
#include "net/http_client.h"

namespace xz::memory {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using json = nlohmann::json;
using providers::EngineConfigError;

namespace {

bool worth_logging(std::uint64_t n) { return n == 1 || n == 10 || n == 100 || n % 1000 == 0; }

const json* value_at(const json& entry, const char* key) {
  if (!entry.is_object()) return nullptr;
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty())) return nullptr;
  return &*it;
}

std::string text_at(const json& entry, const std::string& path, const char* key, std::string fallback) {
  const json* v = value_at(entry, key);
  if (!v) return fallback;
  if (!v->is_string()) throw EngineConfigError(path + "." + key + ": expected text, got " + v->dump());
  return v->get<std::string>();
}

double number_at(const json& entry, const std::string& path, const char* key, double fallback, double min, double max) {
  const json* v = value_at(entry, key);
  if (!v) return fallback;
  double d = NAN;
  if (v->is_number()) {
    d = v->get<double>();
  } else if (v->is_string()) {  // ${ENV} values arrive as text
    try {
      std::size_t used = 0;
      d = std::stod(v->get<std::string>(), &used);
      if (used != v->get_ref<const std::string&>().size()) d = NAN;
    } catch (const std::exception&) {
    }
  }
  if (!std::isfinite(d) || d < min || d > max)
    throw EngineConfigError(fmt::format("{}.{}: expected a number from {} to {}, got {}", path, key, min, max, v->dump()));
  return d;
}

std::chrono::milliseconds seconds(double s) { return std::chrono::milliseconds(static_cast<long long>(s * 1000)); }

struct Job {
  std::string device_id;
  json messages;
};

}  // namespace

Mem0Settings Mem0Settings::from_entry(const json& entry, const std::string& path) {
  Mem0Settings s;
  s.api_key = text_at(entry, path, "api_key", "");
  if (s.api_key.empty()) throw EngineConfigError(path + ".api_key: missing (a mem0 platform API key, m0-...)");
  s.api_version = text_at(entry, path, "api_version", s.api_version);
  s.base_url = text_at(entry, path, "base_url", s.base_url);
  if (!s.base_url.starts_with("http://") && !s.base_url.starts_with("https://"))
    throw EngineConfigError(path + ".base_url: not an http(s) URL: '" + s.base_url + "'");
  while (s.base_url.ends_with('/')) s.base_url.pop_back();
  s.timeout = seconds(number_at(entry, path, "timeout", 30, 0.1, 3600));
  s.search_timeout = seconds(number_at(entry, path, "search_timeout", 3, 0.1, 600));
  s.queue_size = static_cast<std::size_t>(number_at(entry, path, "queue_size", 100, 1, 1000000));
  s.concurrency = static_cast<std::size_t>(number_at(entry, path, "concurrency", 2, 1, 64));
  return s;
}

struct Mem0Memory::Impl {
  Impl(Mem0Settings settings, asio::any_io_executor ex, core::Metrics* metrics)
      : s(std::move(settings)),
        strand(asio::make_strand(std::move(ex))),
        m(metrics ? *metrics : own_metrics),
        saved(m.counter("xiaozhi_memory_summaries_total", "Memory summaries by outcome", "result=\"saved\"")),
        failed(m.counter("xiaozhi_memory_summaries_total", "Memory summaries by outcome", "result=\"failed\"")),
        dropped(m.counter("xiaozhi_memory_summaries_total", "Memory summaries by outcome", "result=\"dropped\"")),
        skipped(m.counter("xiaozhi_memory_summaries_total", "Memory summaries by outcome", "result=\"skipped\"")),
        abandoned_count(
            m.counter("xiaozhi_memory_summaries_total", "Memory summaries by outcome", "result=\"abandoned\"")),
        abandon(strand) {}

  net::HttpClientRequest request(const std::string& path, const json& body, std::chrono::milliseconds total) const {
    net::HttpClientRequest r;
    r.method = "POST";
    r.url = s.base_url + path;
    r.headers = {{"Content-Type", "application/json"}, {"Authorization", "Token " + s.api_key}};
    r.body = body.dump();
    r.connect_timeout = std::min<std::chrono::milliseconds>(total, std::chrono::milliseconds(10000));
    r.total_timeout = total;
    r.max_response_bytes = 1 << 20;
    return r;
  }

  bool idle() {
    std::lock_guard lk(mu);
    return queue.empty() && workers == 0;
  }
  void notify_if_idle() {  // on the strand
    if (!idle()) return;
    for (auto& w : waiters) w->set();
    waiters.clear();
  }

  const Mem0Settings s;
  asio::strand<asio::any_io_executor> strand;
  net::HttpClient http;
  core::Metrics own_metrics;
  core::Metrics& m;
  core::Counter &saved, &failed, &dropped, &skipped, &abandoned_count;
  std::atomic<bool> closed{false};
  std::atomic<bool> abandoned{false};
  core::Event abandon;  // on the strand: drain()'s deadline came

  std::mutex mu;  // guards the queue, filled from any loop
  std::deque<Job> queue;
  std::size_t workers = 0;
  std::vector<std::shared_ptr<core::Event>> waiters;  // on the strand
};

namespace {

using Impl = Mem0Memory::Impl;

// The add's HTTP exchange; a failure is a value, not an exception: asio's `||` waits for
// one operation to *succeed*, so a thrown failure would wait for the other (the
// shutdown deadline) instead of ending the add.
struct AddOutcome {
  net::HttpClientResponse response;
  std::string failure;
};
asio::awaitable<AddOutcome> post_add(std::shared_ptr<Impl> self, net::HttpClientRequest request) {
  AddOutcome out;
  try {
    out.response = co_await self->http.request(std::move(request));
  } catch (const std::exception& e) {
    out.failure = e.what();
  }
  co_return out;
}

asio::awaitable<void> add(std::shared_ptr<Impl> self, Job job) {
  auto& d = *self;
  try {
    auto call = post_add(self, d.request("/v1/memories/", mem0_add_body(job.messages, job.device_id, d.s.api_version),
                                         d.s.timeout));
    auto outcome = co_await (std::move(call) || d.abandon.wait());
    if (outcome.index() == 1) throw std::runtime_error("given up at the shutdown deadline");
    const auto& [resp, failure] = std::get<0>(outcome);
    if (!failure.empty()) throw std::runtime_error(failure);
    if (!resp.ok()) throw std::runtime_error(fmt::format("HTTP {}: {}", resp.status, mem0_error_message(resp.body)));
    d.saved.inc();
    spdlog::info("[dev={}] memory: mem0 took the session's {} messages", job.device_id, job.messages.size());
  } catch (const std::exception& e) {
    if (!d.abandoned) {  // else drain() has counted and logged it
      d.failed.inc();
      spdlog::warn("[dev={}] memory: mem0 did not take the session (its turns are in the chat history): {}",
                   job.device_id, e.what());
    }
  }
}

asio::awaitable<void> worker(std::shared_ptr<Impl> self) {
  auto& d = *self;
  for (;;) {
    Job job;
    {
      std::lock_guard lk(d.mu);
      if (d.queue.empty() || d.closed) {
        d.queue.clear();
        --d.workers;
        break;
      }
      job = std::move(d.queue.front());
      d.queue.pop_front();
    }
    co_await add(self, std::move(job));
  }
  d.notify_if_idle();
}

asio::awaitable<bool> wait_idle(std::shared_ptr<Impl> self, core::Clock::time_point until) {
  while (!self->idle()) {
    const auto now = core::Clock::now();
    if (now >= until) co_return false;
    auto ev = std::make_shared<core::Event>(self->strand);
    self->waiters.push_back(ev);
    co_await core::with_timeout(ev->wait(), until - now);
  }
  co_return true;
}

void give_up(Impl& d) {  // on the strand
  std::size_t left = 0;
  {
    std::lock_guard lk(d.mu);
    left = d.queue.size() + d.workers;  // queued, and one in flight per worker
  }
  d.abandoned = true;
  d.closed = true;
  d.abandoned_count.inc(left);
  spdlog::warn("memory: shutdown deadline reached; {} session(s) not sent to mem0 (their turns are in the chat history)",
               left);
  d.abandon.set();
}

}  // namespace

Mem0Memory::Mem0Memory(Mem0Settings settings, asio::any_io_executor ex, core::Metrics* metrics)
    : impl_(std::make_shared<Impl>(std::move(settings), std::move(ex), metrics)) {}

Mem0Memory::~Mem0Memory() { impl_->closed = true; }

asio::awaitable<std::string> Mem0Memory::recall(std::string) { co_return std::string(); }

asio::awaitable<std::string> Mem0Memory::search(std::string device_id, std::string query) {
  auto self = impl_;
  if (device_id.empty() || query.empty()) co_return std::string();
  try {
    auto resp = co_await self->http.request(self->request(
        "/v1/memories/search/", mem0_search_body(query, device_id, self->s.api_version), self->s.search_timeout));
    if (!resp.ok()) throw std::runtime_error(fmt::format("HTTP {}: {}", resp.status, mem0_error_message(resp.body)));
    co_return mem0_memory_text(json::parse(resp.body, nullptr, false));
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;  // the turn was cancelled
    spdlog::warn("[dev={}] memory: mem0 search failed, answering without memories: {}", device_id, e.what());
  } catch (const std::exception& e) {
    spdlog::warn("[dev={}] memory: mem0 search failed, answering without memories: {}", device_id, e.what());
  }
  co_return std::string();
}

void Mem0Memory::remember(std::string device_id, std::vector<providers::ChatMessage> dialogue) {
  auto& d = *impl_;
  try {
    if (d.closed) return;
    json messages = mem0_messages(dialogue);
    if (device_id.empty() || messages.empty()) {
      d.skipped.inc();
      return;
    }
    bool full = false, start = false;
    {
      std::lock_guard lk(d.mu);
      if (d.queue.size() >= d.s.queue_size) {
        full = true;
      } else {
        d.queue.push_back({device_id, std::move(messages)});
        if (d.workers < d.s.concurrency) {
          ++d.workers;
          start = true;
        }
      }
    }
    if (full) {
      d.dropped.inc();
      if (worth_logging(d.dropped.value()))
        spdlog::warn("[dev={}] memory: mem0 queue full ({} sessions); this session is not remembered ({} dropped so far)",
                     device_id, d.s.queue_size, d.dropped.value());
      return;
    }
    if (start)
      asio::post(d.strand, [self = impl_] { asio::co_spawn(self->strand, worker(self), asio::detached); });
  } catch (const std::exception& e) {
    spdlog::error("[dev={}] memory: cannot queue the session for mem0: {}", device_id, e.what());
  }
}

asio::awaitable<void> Mem0Memory::drain(core::Clock::time_point deadline) {
  auto self = impl_;
  auto wait = [self, deadline]() -> asio::awaitable<void> {
    if (co_await wait_idle(self, deadline)) co_return;
    give_up(*self);
    co_await wait_idle(self, core::Clock::now() + std::chrono::milliseconds(500));
  };
  // Not cancellable: asio 1.81 can terminate when a co_spawn is cancelled before it starts.
  co_await asio::co_spawn(self->strand, std::move(wait),
                          asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

MemoryStats Mem0Memory::stats() const {
  const auto& d = *impl_;
  return {d.saved.value(), d.failed.value(), d.dropped.value(), d.skipped.value(), d.abandoned_count.value()};
}

}  // namespace xz::memory
