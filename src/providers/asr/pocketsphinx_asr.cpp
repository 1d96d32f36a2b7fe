#include "providers/asr/pocketsphinx_asr.h"

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>
#include <utility>

#include <boost/asio/experimental/concurrent_channel.hpp>
#include <fmt/format.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#include "core/async.h"

namespace xz::providers {

namespace asio = boost::asio;

namespace {

// ---------------------------------------------------------------- library logging
// sphinxbase logs through one process-wide callback and FILE*. We silence the FILE*
// (it also gets a dump of the whole configuration per decoder) and route messages to a
// per-thread buffer keeping only errors, to explain a failed call. ("-logfn /dev/null"
// instead would make every ps_init fclose the global FILE* that decoders on other
// threads may be writing to.)
thread_local std::string t_last_error;

void capture_errors(void*, err_lvl_t level, const char* fmt, ...) {
  if (level != ERR_ERROR && level != ERR_FATAL) return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (t_last_error.size() < 2048) t_last_error += buf;
}

void install_error_capture() {
  static std::once_flag once;
  std::call_once(once, [] {
    err_set_callback(&capture_errors, nullptr);
    err_set_logfp(nullptr);
  });
}

std::string take_last_error() {
  std::string e = std::move(t_last_error);
  t_last_error.clear();
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  return e.empty() ? "no details" : e;
}

// ---------------------------------------------------------------- one decoder
class Decoder {
 public:
  // Blocking (~0.3 s). `live` was already incremented for this decoder by the caller;
  // the decoder gives it back when destroyed. Throws std::runtime_error.
  Decoder(const PocketsphinxOptions& o, std::shared_ptr<std::atomic<std::size_t>> live) : live_(std::move(live)) {
    t_last_error.clear();
    cmd_ln_t* cfg = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", o.hmm.c_str(), "-lm", o.lm.c_str(), "-dict",
                                o.dict.c_str(), nullptr);
    if (!cfg) throw std::runtime_error("pocketsphinx: bad arguments: " + take_last_error());
    ps_ = ps_init(cfg);
    cmd_ln_free_r(cfg);  // the decoder keeps its own reference
    if (!ps_) throw std::runtime_error("pocketsphinx: cannot load the model: " + take_last_error());
  }
  ~Decoder() {
    if (ps_) ps_free(ps_);
    --*live_;
  }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Feeds audio; `new_utterance` starts one (ending a stale one a previous borrower left open).
  void feed(std::span<const std::int16_t> pcm, bool new_utterance) {
    t_last_error.clear();
    if (new_utterance) {
      if (in_utterance_) ps_end_utt(ps_);
      in_utterance_ = false;
      if (ps_start_utt(ps_) < 0) throw std::runtime_error("pocketsphinx: ps_start_utt failed: " + take_last_error());
      in_utterance_ = true;
    }
    if (!in_utterance_) throw std::logic_error("pocketsphinx: audio outside an utterance");
    if (ps_process_raw(ps_, pcm.data(), pcm.size(), FALSE, FALSE) < 0)
      throw std::runtime_error("pocketsphinx: ps_process_raw failed: " + take_last_error());
  }

  // Ends the utterance; the best hypothesis ("" when nothing was recognised).
  std::string finish() {
    t_last_error.clear();
    in_utterance_ = false;
    if (ps_end_utt(ps_) < 0) throw std::runtime_error("pocketsphinx: ps_end_utt failed: " + take_last_error());
    std::int32_t score = 0;
    const char* hyp = ps_get_hyp(ps_, &score);
    return hyp ? std::string(hyp) : std::string();
  }

 private:
  std::shared_ptr<std::atomic<std::size_t>> live_;
  ps_decoder_t* ps_ = nullptr;
  bool in_utterance_ = false;
};

using DecoderPtr = std::unique_ptr<Decoder>;

}  // namespace

// ---------------------------------------------------------------- the pool
// Idle decoders wait in a channel sized to hold all of them, so a release never blocks
// and a waiting open() is woken on its own executor.
class PocketsphinxAsr::DecoderPool {
 public:
  DecoderPool(PocketsphinxOptions o, const asio::any_io_executor& ex)
      : opts_(std::move(o)), idle_(ex, opts_.decoders) {}

  const PocketsphinxOptions& options() const { return opts_; }
  std::size_t live() const { return *live_; }

  DecoderPtr try_take() {
    DecoderPtr d;
    idle_.try_receive([&](core::error_code ec, DecoderPtr got) {
      if (!ec) d = std::move(got);
    });
    return d;
  }

  // Claims room for one more decoder; false when `decoders` exist already.
  bool try_reserve() {
    std::size_t n = *live_;
    while (n < opts_.decoders)
      if (live_->compare_exchange_weak(n, n + 1)) return true;
    return false;
  }

  // Blocking. Needs a successful try_reserve(), which it gives back on failure.
  DecoderPtr create_reserved() {
    try {
      return std::make_unique<Decoder>(opts_, live_);
    } catch (...) {
      --*live_;
      throw;
    }
  }

  core::Task<DecoderPtr> wait() {
    auto [ec, d] = co_await idle_.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) throw boost::system::system_error(ec, "pocketsphinx: waiting for a free decoder");
    co_return std::move(d);
  }

  void give_back(DecoderPtr d) {
    // Cannot fail while the channel holds room for every decoder; if it did, the
    // decoder is destroyed and a new one will be created on demand.
    idle_.try_send(core::error_code{}, std::move(d));
  }

 private:
  PocketsphinxOptions opts_;
  std::shared_ptr<std::atomic<std::size_t>> live_ = std::make_shared<std::atomic<std::size_t>>(0);
  asio::experimental::concurrent_channel<void(core::error_code, DecoderPtr)> idle_;
};

namespace {

// ---------------------------------------------------------------- one stream
// Shared by the stream and its in-flight work, so the decoder goes back to the pool
// only when both are done with it.
struct StreamState {
  StreamState(DecoderPtr d, std::shared_ptr<PocketsphinxAsr::DecoderPool> p)
      : decoder(std::move(d)), pool(std::move(p)) {}
  ~StreamState() {
    if (decoder) pool->give_back(std::move(decoder));
  }
  StreamState(const StreamState&) = delete;
  StreamState& operator=(const StreamState&) = delete;

  DecoderPtr decoder;
  std::shared_ptr<PocketsphinxAsr::DecoderPool> pool;
  bool busy = false;     // a push/finish is running
  bool started = false;  // an utterance is open
};

// Clears StreamState::busy however the operation ends.
struct BusyScope {
  explicit BusyScope(StreamState& s, const char* what) : st(s) {
    if (st.busy) throw std::logic_error(fmt::format("pocketsphinx: {}() while another operation is running", what));
    st.busy = true;
  }
  ~BusyScope() { st.busy = false; }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;
  StreamState& st;
};

class PocketsphinxStream : public AsrStream {
 public:
  PocketsphinxStream(std::shared_ptr<StreamState> st, asio::thread_pool& workers)
      : st_(std::move(st)), workers_(workers) {}

  asio::awaitable<void> push(std::vector<std::int16_t> pcm) override {
    return push_impl(st_, workers_, std::move(pcm));
  }
  asio::awaitable<AsrResult> finish() override { return finish_impl(st_, workers_); }

 private:
  // Static coroutines: after a suspension they touch only the shared state.
  static core::Task<void> push_impl(std::shared_ptr<StreamState> st, asio::thread_pool& workers,
                                    std::vector<std::int16_t> pcm) {
    BusyScope busy(*st, "push");
    if (pcm.empty()) co_return;
    const bool new_utterance = !st->started;
    st->started = true;
    // Jobs borrow from this frame (which holds `st`), alive until the job is done.
    // (Owning captures would also be destroyed twice by g++ 12 inside core::offload.)
    co_await core::offload(workers, [d = st->decoder.get(), audio = &pcm, new_utterance] {
      d->feed(*audio, new_utterance);
    });
  }

  static core::Task<AsrResult> finish_impl(std::shared_ptr<StreamState> st, asio::thread_pool& workers) {
    BusyScope busy(*st, "finish");
    AsrResult r;
    r.language = "en";
    if (!st->started) co_return r;  // no audio: nothing to decode
    st->started = false;
    r.text = co_await core::offload(workers, [d = st->decoder.get()] { return d->finish(); });
    co_return r;
  }

  std::shared_ptr<StreamState> st_;
  asio::thread_pool& workers_;
};

// ---------------------------------------------------------------- configuration
std::string config_path(const EngineConfig& cfg, const char* key, const std::string& def) {
  if (!cfg.is_object()) return def;
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return def;
  if (!it->is_string()) throw EngineConfigError(fmt::format("{}: must be a path", key));
  auto s = it->get<std::string>();
  return s.empty() ? def : s;
}

PocketsphinxOptions read_options(const EngineConfig& cfg) {
  if (!cfg.is_null() && !cfg.is_object()) throw EngineConfigError("pocketsphinx: config must be a mapping");
  PocketsphinxOptions o;
  o.hmm = config_path(cfg, "hmm", o.hmm);
  o.lm = config_path(cfg, "lm", o.lm);
  o.dict = config_path(cfg, "dict", o.dict);
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(o.hmm) / "mdef", ec))
    throw EngineConfigError(fmt::format("hmm: {}: not an acoustic model directory (no mdef)", o.hmm));
  if (!fs::is_regular_file(o.lm, ec)) throw EngineConfigError(fmt::format("lm: {}: no such file", o.lm));
  if (!fs::is_regular_file(o.dict, ec)) throw EngineConfigError(fmt::format("dict: {}: no such file", o.dict));

  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  o.decoders = 2 * cores;
  if (cfg.is_object()) {
    auto it = cfg.find("decoders");
    if (it != cfg.end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<long long>() < 1 || it->get<long long>() > 1024)
        throw EngineConfigError("decoders: must be an integer from 1 to 1024");
      o.decoders = it->get<std::size_t>();
    }
  }
  return o;
}

}  // namespace

// ---------------------------------------------------------------- the engine
PocketsphinxAsr::PocketsphinxAsr(const EngineConfig& cfg, ProviderContext& ctx) : workers_(ctx.pool) {
  install_error_capture();
  decoders_ = std::make_shared<DecoderPool>(read_options(cfg), ctx.pool.get_executor());
  // The first decoder now, so a bad model fails at start-up, not at the first utterance.
  if (!decoders_->try_reserve()) throw std::logic_error("pocketsphinx: empty pool");
  try {
    decoders_->give_back(decoders_->create_reserved());
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(e.what());
  }
}

PocketsphinxAsr::~PocketsphinxAsr() = default;

std::size_t PocketsphinxAsr::max_decoders() const { return decoders_->options().decoders; }
std::size_t PocketsphinxAsr::live_decoders() const { return decoders_->live(); }

asio::awaitable<std::unique_ptr<AsrStream>> PocketsphinxAsr::open() {
  auto pool = decoders_;
  auto& workers = workers_;
  DecoderPtr d = pool->try_take();
  if (!d && pool->try_reserve()) d = co_await core::offload(workers, [p = pool.get()] { return p->create_reserved(); });
  if (!d) d = co_await pool->wait();
  co_return std::make_unique<PocketsphinxStream>(std::make_shared<StreamState>(std::move(d), pool), workers);
}

}  // namespace xz::providers
