#include "providers/llm/llama_cpp_llm.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <ggml-backend.h>
#include <llama.h>
#include <spdlog/spdlog.h>

#include "providers/llm/llm_config_wire.h"
#include "providers/llm/think_filter.h"
#include "providers/llm/tool_call_text.h"
#include "providers/llm/utf8_stream.h"
#include "build_paths.h"

namespace xz::providers {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
template <class T>
using ConcurrentChannel = asio::experimental::concurrent_channel<void(error_code, T)>;

namespace {

constexpr std::size_t kPieceQueue = 64;  // generated pieces not yet taken by the caller

// llama.cpp's own log lines: warnings and errors go to our log, the chatter to trace.
void forward_llama_log(ggml_log_level level, const char* text, void* /*user*/) {
  std::string_view line(text ? text : "");
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty()) return;
  if (level == GGML_LOG_LEVEL_ERROR) {
    spdlog::error("llama.cpp: {}", line);
  } else if (level == GGML_LOG_LEVEL_WARN) {
    spdlog::warn("llama.cpp: {}", line);
  } else {
    spdlog::trace("llama.cpp: {}", line);
  }
}

void init_backends_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(forward_llama_log, nullptr);
    ggml_backend_load_all_from_path(XZ_LLAMA_LIB_DIR);
    llama_backend_init();
  });
}

struct ModelFree {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextFree {
  void operator()(llama_context* c) const { llama_free(c); }
};
struct SamplerFree {
  void operator()(llama_sampler* s) const { llama_sampler_free(s); }
};
using ModelPtr = std::unique_ptr<llama_model, ModelFree>;
using ContextPtr = std::unique_ptr<llama_context, ContextFree>;
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerFree>;

// The template text for llama_chat_apply_template, or nullopt when llama.cpp does not
// know it.
bool template_works(const std::string& tmpl) {
  llama_chat_message probe[] = {{"system", "s"}, {"user", "u"}};
  char buf[256];
  return llama_chat_apply_template(tmpl.c_str(), probe, 2, true, buf, sizeof buf) >= 0;
}

std::string apply_template(const std::string& tmpl, const std::vector<ChatMessage>& messages) {
  std::vector<llama_chat_message> chat;
  chat.reserve(messages.size());
  std::size_t total = 0;
  for (const auto& m : messages) {
    chat.push_back({m.role.c_str(), m.content.c_str()});
    total += m.role.size() + m.content.size();
  }
  std::string out(2 * total + 256, '\0');
  int32_t n = llama_chat_apply_template(tmpl.c_str(), chat.data(), chat.size(), true, out.data(),
                                        static_cast<int32_t>(out.size()));
  if (n < 0) throw std::runtime_error("llama.cpp: the chat template could not be applied");
  if (static_cast<std::size_t>(n) > out.size()) {
    out.resize(static_cast<std::size_t>(n));
    n = llama_chat_apply_template(tmpl.c_str(), chat.data(), chat.size(), true, out.data(), n);
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<llama_token> tokenize(const llama_vocab* vocab, const std::string& text) {
  int32_t n = -llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), nullptr, 0, true, true);
  if (n <= 0) throw std::runtime_error("llama.cpp: the prompt could not be tokenized");
  std::vector<llama_token> tokens(static_cast<std::size_t>(n));
  if (llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(), n, true, true) < 0) {
    throw std::runtime_error("llama.cpp: the prompt could not be tokenized");
  }
  return tokens;
}

std::string token_piece(const llama_vocab* vocab, llama_token token) {
  char buf[128];
  int32_t n = llama_token_to_piece(vocab, token, buf, sizeof buf, 0, false);
  if (n >= 0) return std::string(buf, static_cast<std::size_t>(n));
  std::string big(static_cast<std::size_t>(-n), '\0');
  n = llama_token_to_piece(vocab, token, big.data(), static_cast<int32_t>(big.size()), 0, false);
  return n < 0 ? std::string() : big.substr(0, static_cast<std::size_t>(n));
}

// One item from a generation to its caller.
struct Piece {
  std::string text;
  std::string error;  // the generation failed
  bool end = false;
};

struct Job {
  explicit Job(asio::any_io_executor ex) : pieces(std::move(ex), kPieceQueue) {}
  ConcurrentChannel<Piece> pieces;
  std::atomic<bool> cancel{false};
};

// Which contexts are free, shared by every event loop. A request waits asynchronously
// (on its own executor) for one; cancelling the wait gives up its place in the queue.
// (Not an asio concurrent_channel: in Boost 1.81 a cancelled receive leaves a buffered
// channel refusing try_send, which lost contexts.)
class ContextSlots {
 public:
  void add(std::size_t index) { release(index); }

  asio::awaitable<std::size_t> acquire() {
    auto ex = co_await asio::this_coro::executor;
    std::shared_ptr<Waiter> waiter;
    {
      std::lock_guard lk(mu_);
      if (!free_.empty()) {
        std::size_t index = free_.back();
        free_.pop_back();
        co_return index;
      }
      waiter = std::make_shared<Waiter>(ex);
      waiters_.push_back(waiter);
    }
    // Woken by release() (granted) or by cancellation of the caller.
    co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    std::optional<std::size_t> granted;
    {
      std::lock_guard lk(mu_);
      granted = waiter->granted;
      if (!granted) std::erase(waiters_, waiter);
    }
    auto cs = co_await asio::this_coro::cancellation_state;
    if (granted && cs.cancelled() == asio::cancellation_type::none) co_return *granted;
    if (granted) release(*granted);  // handed over just as the wait was cancelled
    throw boost::system::system_error(asio::error::operation_aborted, "llama.cpp: waiting for a free context");
  }

  // From any thread.
  void release(std::size_t index) {
    std::shared_ptr<Waiter> next;
    {
      std::lock_guard lk(mu_);
      if (waiters_.empty()) {
        free_.push_back(index);
        return;
      }
      next = std::move(waiters_.front());
      waiters_.pop_front();
      next->granted = index;
    }
    // The timer belongs to the waiter's executor: wake it there.
    asio::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
  }

  std::size_t idle() const {
    std::lock_guard lk(mu_);
    return free_.size();
  }

 private:
  struct Waiter {
    explicit Waiter(asio::any_io_executor ex) : timer(std::move(ex), asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    std::optional<std::size_t> granted;  // guarded by mu_
  };
  mutable std::mutex mu_;
  std::vector<std::size_t> free_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

struct GenerationParams {
  int max_tokens;
  double temperature;
};

}  // namespace

struct LlamaCppLlm::Shared {
  explicit Shared(LlamaCppSettings s) : settings(std::move(s)) {}
  ~Shared() {
    contexts.clear();  // before the model they belong to
    model.reset();
  }

  LlamaCppSettings settings;
  std::string chat_template;
  ModelPtr model;
  const llama_vocab* vocab = nullptr;
  std::vector<ContextPtr> contexts;
  ContextSlots slots;
  std::atomic<std::size_t> generated{0};
};

namespace {

using Shared = LlamaCppLlm::Shared;

// A context taken from the pool; given back when the lease ends.
class ContextLease {
 public:
  ContextLease(std::shared_ptr<Shared> shared, std::size_t index) : shared_(std::move(shared)), index_(index) {}
  ContextLease(ContextLease&& o) noexcept : shared_(std::move(o.shared_)), index_(o.index_) {}
  ContextLease& operator=(ContextLease&&) = delete;
  ~ContextLease() { reset(); }
  // Gives the context back now (before the caller hears the answer is complete).
  void reset() {
    if (auto s = std::exchange(shared_, nullptr)) s->slots.release(index_);
  }
  llama_context* get() const { return shared_->contexts[index_].get(); }

 private:
  std::shared_ptr<Shared> shared_;
  std::size_t index_;
};

// The prompt's tokens; the oldest turns (after the system prompt) are dropped while it
// does not leave room to answer.
std::vector<llama_token> prompt_tokens(const Shared& shared, std::vector<ChatMessage> messages) {
  const int n_ctx = shared.settings.n_ctx;
  const int room = std::max(16, n_ctx / 8);  // tokens kept free for the answer
  for (;;) {
    auto tokens = tokenize(shared.vocab, apply_template(shared.chat_template, messages));
    if (static_cast<int>(tokens.size()) + room <= n_ctx) return tokens;
    auto first = std::find_if(messages.begin(), messages.end(), [](const ChatMessage& m) { return m.role != "system"; });
    if (first == messages.end() || first + 1 >= messages.end()) {
      throw std::runtime_error(fmt::format("llama.cpp: the prompt is {} tokens; n_ctx {} leaves no room to answer",
                                           tokens.size(), n_ctx));
    }
    messages.erase(first);
  }
}

SamplerPtr make_sampler(const LlamaCppSettings& s, double temperature) {
  SamplerPtr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  if (temperature <= 0) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    return chain;
  }
  llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(s.top_k));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(static_cast<float>(s.top_p), 1));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(static_cast<float>(temperature)));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(s.seed.value_or(LLAMA_DEFAULT_SEED)));
  return chain;
}

bool cancel_requested(void* flag) { return static_cast<std::atomic<bool>*>(flag)->load(); }

// Unhooks the job's cancel flag from the context when the generation ends.
struct AbortHook {
  AbortHook(llama_context* c, std::atomic<bool>* flag) : ctx(c) { llama_set_abort_callback(ctx, cancel_requested, flag); }
  ~AbortHook() { llama_set_abort_callback(ctx, nullptr, nullptr); }
  AbortHook(const AbortHook&) = delete;
  AbortHook& operator=(const AbortHook&) = delete;
  llama_context* ctx;
};

// Decodes `tokens` in batches. False when cancelled.
bool decode(llama_context* ctx, std::vector<llama_token>& tokens, int n_batch) {
  for (std::size_t at = 0; at < tokens.size(); at += static_cast<std::size_t>(n_batch)) {
    auto n = static_cast<int32_t>(std::min<std::size_t>(static_cast<std::size_t>(n_batch), tokens.size() - at));
    int32_t rc = llama_decode(ctx, llama_batch_get_one(tokens.data() + at, n));
    if (rc == 2) return false;  // aborted by the cancel flag
    if (rc != 0) throw std::runtime_error(fmt::format("llama.cpp: decode failed ({})", rc));
  }
  return true;
}

// Runs on the worker pool: each step blocks its thread for one token's compute;
// sending a piece waits (without blocking) while the caller is behind.
asio::awaitable<void> generate(std::shared_ptr<Shared> shared, std::shared_ptr<Job> job, ContextLease lease,
                               std::vector<ChatMessage> messages, GenerationParams params) {
  std::string failure;
  try {
    llama_context* ctx = lease.get();
    AbortHook hook(ctx, &job->cancel);
    llama_memory_clear(llama_get_memory(ctx), true);
    auto tokens = prompt_tokens(*shared, std::move(messages));
    const int n_batch = static_cast<int>(llama_n_batch(ctx));
    if (job->cancel || !decode(ctx, tokens, n_batch)) co_return;
    int n_past = static_cast<int>(tokens.size());
    SamplerPtr sampler = make_sampler(shared->settings, params.temperature);
    Utf8Stream utf8;
    for (int produced = 0; produced < params.max_tokens && n_past < shared->settings.n_ctx; ++produced) {
      if (job->cancel) co_return;
      llama_token token = llama_sampler_sample(sampler.get(), ctx, -1);
      if (llama_vocab_is_eog(shared->vocab, token)) break;
      shared->generated.fetch_add(1);
      std::string text = utf8.feed(token_piece(shared->vocab, token));
      if (!text.empty()) {
        Piece piece;
        piece.text = std::move(text);
        auto [ec] = co_await job->pieces.async_send(error_code{}, std::move(piece), asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;  // the caller left
      }
      std::vector<llama_token> next{token};
      if (!decode(ctx, next, 1)) co_return;
      ++n_past;
    }
    if (std::string tail = utf8.finish(); !tail.empty()) {
      Piece piece;
      piece.text = std::move(tail);
      auto [ec] = co_await job->pieces.async_send(error_code{}, std::move(piece), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  Piece last;
  last.end = failure.empty();
  last.error = std::move(failure);
  lease.reset();  // the next request may take the context as soon as this one is answered
  co_await job->pieces.async_send(error_code{}, std::move(last), asio::as_tuple(asio::use_awaitable));
}

// Ends the generation when the caller stops listening (done, cancelled or failed).
struct JobGuard {
  explicit JobGuard(std::shared_ptr<Job> j) : job(std::move(j)) {}
  ~JobGuard() {
    job->cancel = true;
    // cancel() first: a send waiting on a full channel whose receive was cancelled was
    // not always woken by close() (Boost 1.81), which kept the context taken for good.
    job->pieces.cancel();
    job->pieces.close();
  }
  JobGuard(const JobGuard&) = delete;
  JobGuard& operator=(const JobGuard&) = delete;
  std::shared_ptr<Job> job;
};

}  // namespace

LlamaCppSettings llama_cpp_settings(const EngineConfig& cfg) {
  using namespace llm_config;
  require_mapping(cfg);
  LlamaCppSettings s;
  auto path = opt_string(cfg, "model_path");
  if (!path) throw EngineConfigError("model_path: missing (a GGUF model file)");
  s.model_path = *path;
  if (auto v = opt_integer(cfg, "n_ctx", 64)) s.n_ctx = static_cast<int>(std::min<long long>(*v, 1 << 20));
  if (auto v = opt_integer(cfg, "n_threads", 1)) s.n_threads = static_cast<int>(std::min<long long>(*v, 512));
  if (auto v = opt_integer(cfg, "max_tokens", 1)) s.max_tokens = static_cast<int>(std::min<long long>(*v, 1 << 20));
  if (auto v = opt_number(cfg, "temperature")) s.temperature = *v;
  if (auto v = opt_integer(cfg, "top_k", 1)) s.top_k = static_cast<int>(std::min<long long>(*v, 1 << 20));
  if (auto v = opt_number(cfg, "top_p")) {
    if (*v <= 0 || *v > 1) throw EngineConfigError("top_p: must be in (0, 1]");
    s.top_p = *v;
  }
  if (auto v = opt_integer(cfg, "seed", 0)) {
    if (*v > 0xFFFFFFFELL) throw EngineConfigError("seed: must be below 4294967295");
    s.seed = static_cast<unsigned>(*v);
  }
  s.chat_template = opt_string(cfg, "chat_template").value_or("");
  if (auto v = opt_integer(cfg, "contexts", 1)) {
    if (*v > 64) throw EngineConfigError("contexts: at most 64");
    s.contexts = static_cast<int>(*v);
  }
  return s;
}

LlamaCppLlm::LlamaCppLlm(const EngineConfig& cfg, ProviderContext& ctx) : pool_(ctx.pool) {
  LlamaCppSettings settings = llama_cpp_settings(cfg);
  std::error_code fs_ec;
  if (!std::filesystem::is_regular_file(settings.model_path, fs_ec)) {
    throw EngineConfigError(fmt::format("model_path: no such file: '{}'", settings.model_path));
  }
  init_backends_once();
  auto shared = std::make_shared<Shared>(std::move(settings));
  const auto& s = shared->settings;

  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  shared->model.reset(llama_model_load_from_file(s.model_path.c_str(), mp));
  if (!shared->model) throw EngineConfigError(fmt::format("model_path: llama.cpp cannot load '{}'", s.model_path));
  shared->vocab = llama_model_get_vocab(shared->model.get());

  if (!s.chat_template.empty()) {
    if (!template_works(s.chat_template)) {
      throw EngineConfigError(fmt::format("chat_template: llama.cpp does not know the template '{}'",
                                          llm_config::shorten(s.chat_template, 80)));
    }
    shared->chat_template = s.chat_template;
  } else if (const char* own = llama_model_chat_template(shared->model.get(), nullptr); own && template_works(own)) {
    shared->chat_template = own;
  } else {
    shared->chat_template = "chatml";
  }

  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(s.n_ctx);
  cp.n_batch = static_cast<uint32_t>(std::min(s.n_ctx, 512));
  cp.n_ubatch = cp.n_batch;
  cp.n_seq_max = 1;
  // Both explicitly: the default batch thread count made generation 30x slower here.
  cp.n_threads = s.n_threads;
  cp.n_threads_batch = s.n_threads;
  cp.no_perf = true;
  for (int i = 0; i < s.contexts; ++i) {
    ContextPtr c(llama_init_from_model(shared->model.get(), cp));
    if (!c) throw EngineConfigError(fmt::format("n_ctx: llama.cpp cannot create a context of {} tokens", s.n_ctx));
    shared->contexts.push_back(std::move(c));
  }
  for (int i = 0; i < s.contexts; ++i) shared->slots.add(static_cast<std::size_t>(i));
  shared_ = std::move(shared);
}

LlamaCppLlm::~LlamaCppLlm() = default;

const std::string& LlamaCppLlm::chat_template() const { return shared_->chat_template; }

std::string LlamaCppLlm::render_prompt(const std::vector<ChatMessage>& messages) const {
  return apply_template(shared_->chat_template, tool_calls_as_text(messages));
}

int LlamaCppLlm::context_count() const { return shared_->settings.contexts; }
std::size_t LlamaCppLlm::idle_contexts() const { return shared_->slots.idle(); }
std::size_t LlamaCppLlm::tokens_generated() const { return shared_->generated.load(); }

boost::asio::awaitable<void> LlamaCppLlm::chat(ChatRequest req, ChatSink sink) {
  std::shared_ptr<Shared> shared = shared_;
  auto ex = co_await asio::this_coro::executor;
  GenerationParams params{req.max_tokens.value_or(shared->settings.max_tokens),
                          req.temperature.value_or(shared->settings.temperature)};
  std::vector<ChatMessage> messages = tool_calls_as_text(req.messages);

  // Wait for a free context; cancellation ends the wait.
  std::size_t index = co_await shared->slots.acquire();
  ContextLease lease(shared, index);

  auto job = std::make_shared<Job>(ex);
  JobGuard guard(job);
  asio::co_spawn(pool_, generate(shared, job, std::move(lease), std::move(messages), params), asio::detached);

  ThinkFilter think;
  for (;;) {
    auto [ec, piece] = co_await job->pieces.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) throw boost::system::system_error(ec, "llama.cpp: generation");
    if (!piece.error.empty()) throw std::runtime_error(piece.error);
    if (piece.end) break;
    if (auto text = think.feed(piece.text); !text.empty()) sink(ChatDelta{.text = std::move(text), .tool_calls = {}});
  }
  if (auto tail = think.finish(); !tail.empty()) sink(ChatDelta{.text = std::move(tail), .tool_calls = {}});
}

}  // namespace xz::providers
