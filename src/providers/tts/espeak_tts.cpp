#include "providers/tts/espeak_tts.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "audio/wav.h"
#include "core/async.h"
#include "core/child_process.h"
#include "core/unique_fd.h"

namespace xz::providers {

namespace {

namespace asio = boost::asio;

constexpr std::size_t kStderrLimit = 4096;

[[noreturn]] void throw_errno(const char* what) {
  throw std::runtime_error(fmt::format("espeak-ng: {}: {}", what, std::strerror(errno)));
}

// The text as a file the child reads as stdin: no pipe to feed, so no SIGPIPE and no
// write that could block, whatever the text length.
core::UniqueFd text_file(std::string_view text) {
  core::UniqueFd fd(::memfd_create("xz-espeak-text", MFD_CLOEXEC));
  if (fd.get() < 0) throw_errno("memfd_create");
  while (!text.empty()) {
    ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_errno("writing the text");
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw_errno("lseek");
  return fd;
}

// The child's stderr: a memory file that cannot grow past kStderrLimit, read after exit.
core::UniqueFd stderr_file() {
  core::UniqueFd fd(::memfd_create("xz-espeak-stderr", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd.get() < 0) throw_errno("memfd_create");
  if (::ftruncate(fd.get(), kStderrLimit) != 0) throw_errno("ftruncate");
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK) != 0) throw_errno("fcntl");
  return fd;
}

std::string read_stderr(int fd) {
  std::string text(kStderrLimit, '\0');
  ssize_t n = ::pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  text.resize(std::min(text.size(), text.find('\0')));  // the unwritten rest is zeros
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// Turns espeak-ng's streamed WAV into ~100 ms mono chunks, bounded in total length.
class WavChunker {
 public:
  explicit WavChunker(double max_seconds) : max_seconds_(max_seconds) {}

  // The complete chunks `bytes` make. Throws std::runtime_error on output that is not
  // 16-bit PCM WAV or is longer than the bound.
  std::vector<PcmChunk> feed(std::string_view bytes) {
    std::vector<PcmChunk> out;
    if (bytes.empty()) return out;
    got_output_ = true;
    std::vector<std::int16_t> pcm;
    try {
      pcm = wav_.feed(bytes);
    } catch (const audio::WavError& e) {
      throw std::runtime_error(fmt::format("espeak-ng: unexpected output: {}", e.what()));
    }
    if (pcm.empty()) return out;  // still in the header, or half a sample
    const audio::WavFormat& format = *wav_.format();  // set once samples flow
    if (format.channels > 1) pcm = audio::downmix_to_mono(pcm, format.channels);
    total_ += pcm.size();
    if (static_cast<double>(total_) > max_seconds_ * format.sample_rate)
      throw std::runtime_error(fmt::format("espeak-ng: more than {} s of audio", max_seconds_));
    pending_.insert(pending_.end(), pcm.begin(), pcm.end());
    const auto size = static_cast<std::ptrdiff_t>(format.sample_rate / 10);
    auto from = pending_.begin();
    for (; pending_.end() - from >= size; from += size)
      out.push_back(PcmChunk{std::vector<std::int16_t>(from, from + size), format.sample_rate});
    pending_.erase(pending_.begin(), from);
    return out;
  }

  // What is left at the end of the stream. Throws if output stopped inside the header.
  std::optional<PcmChunk> finish() {
    if (got_output_ && !wav_.header_complete())
      throw std::runtime_error(fmt::format("espeak-ng: unexpected output: {}", wav_.incomplete_reason()));
    if (pending_.empty()) return std::nullopt;
    return PcmChunk{std::move(pending_), wav_.format()->sample_rate};
  }

 private:
  double max_seconds_;
  audio::WavStreamReader wav_;
  std::vector<std::int16_t> pending_;  // < one chunk
  std::size_t total_ = 0;
  bool got_output_ = false;
};

bool valid_voice_name(std::string_view v) {
  if (v.empty() || v.size() > 64 || v.front() == '-') return false;
  return std::all_of(v.begin(), v.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '+' || c == '.' || c == '/';
  });
}

std::string config_string(const EngineConfig& cfg, const char* key, std::string fallback) {
  if (!cfg.is_object() || !cfg.contains(key)) return fallback;
  if (!cfg[key].is_string()) throw EngineConfigError(fmt::format("{}: expected a string", key));
  return cfg[key].get<std::string>();
}

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

bool starts_with_zh(const std::string& language) {
  return language.size() >= 2 && std::tolower(static_cast<unsigned char>(language[0])) == 'z' &&
         std::tolower(static_cast<unsigned char>(language[1])) == 'h';
}

}  // namespace

bool mostly_cjk(std::string_view text) {
  std::size_t cjk = 0, words = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    if (i + len > text.size()) break;
    char32_t cp = c;
    if (len > 1) {
      cp = c & (0x7F >> len);
      for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    bool alnum = cp < 0x80 && std::isalnum(static_cast<int>(cp));
    if (alnum && !in_word) ++words;
    in_word = alnum;
    if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0x20000 && cp <= 0x2FA1F))
      ++cjk;
    i += len;
  }
  return cjk > words;
}

EspeakTts::EspeakTts(const EngineConfig& cfg, ProviderContext& ctx)
    : pool_(ctx.pool),
      binary_(config_string(cfg, "binary", "espeak-ng")),
      voice_(config_string(cfg, "voice", "en-us")),
      voice_zh_(config_string(cfg, "voice_zh", "cmn-latn-pinyin")) {
  if (binary_.empty()) throw EngineConfigError("binary: must not be empty");
  if (!valid_voice_name(voice_)) throw EngineConfigError(fmt::format("voice: '{}' is not a voice name", voice_));
  if (!valid_voice_name(voice_zh_))
    throw EngineConfigError(fmt::format("voice_zh: '{}' is not a voice name", voice_zh_));
  if (cfg.is_object() && cfg.contains("speed") && !cfg["speed"].is_null()) {
    const auto& s = cfg["speed"];
    if (!s.is_number_integer() || s.get<long long>() < 80 || s.get<long long>() > 450)
      throw EngineConfigError(fmt::format("speed: expected words per minute 80-450, got {}", s.dump()));
    speed_ = s.get<int>();
  }
}

std::string EspeakTts::voice_for(const TtsRequest& req) const {
  if (!req.voice.empty()) return req.voice;
  if (!req.language.empty()) return starts_with_zh(req.language) ? voice_zh_ : voice_;
  return mostly_cjk(req.text) ? voice_zh_ : voice_;
}

asio::awaitable<void> EspeakTts::synthesize(TtsRequest req, PcmSink sink) {
  const std::string voice = voice_for(req);
  if (!valid_voice_name(voice)) throw std::runtime_error(fmt::format("espeak-ng: '{}' is not a voice name", voice));
  if (is_blank(req.text)) co_return;

  core::ChildSpec spec;
  spec.command = binary_;
  spec.args = {"-v", voice, "--stdout", "--stdin", "-b", "1"};
  if (speed_) {
    spec.args.push_back("-s");
    spec.args.push_back(std::to_string(*speed_));
  }
  spec.inherit = {"ESPEAK_DATA_PATH"};  // where a non-default install keeps its voices
  core::UniqueFd in = text_file(req.text);
  core::UniqueFd err = stderr_file();
  core::PipeFds out = core::make_pipe();
  auto ex = co_await asio::this_coro::executor;
  // Spawning can take milliseconds on a busy machine: not on the loop. The child is
  // owned from the moment it exists, even if this coroutine is cancelled before the
  // result arrives (destroying it kills and reaps it).
  auto child = co_await core::offload(pool_, [&] {
    try {
      return std::make_unique<core::ChildProcess>(ex, spec, core::ChildStdio{in.get(), out.write.get(), err.get()});
    } catch (const core::ChildSpawnError& e) {
      throw std::runtime_error(fmt::format("espeak-ng: {}", e.what()));
    }
  });
  out.write.reset();  // EOF on our end once the child exits
  in.reset();

  asio::posix::stream_descriptor out_read(ex, out.read.release());
  WavChunker chunker(kMaxAudioSeconds);
  std::vector<char> buf(16384);
  for (;;) {
    auto [ec, n] = co_await out_read.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    auto chunks = chunker.feed(std::string_view(buf.data(), n));
    for (auto& chunk : chunks)
      if (!co_await sink(std::move(chunk))) co_return;  // ~ChildProcess kills it
    if (ec == asio::error::eof) break;
    if (ec) throw boost::system::system_error(ec, "espeak-ng: reading its output");
  }

  int status = co_await child->wait_exit();
  if (status != 0) {
    std::string message = read_stderr(err.get());
    // Where posix_spawn reports a failed exec only through the child (fork-based
    // implementations, valgrind), it shows up as status 127 and no message.
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && message.empty())
      throw std::runtime_error(fmt::format("espeak-ng: cannot run '{}' (exit status 127)", binary_));
    throw std::runtime_error(fmt::format("espeak-ng -v {} failed ({}): {}", voice, core::describe_wait_status(status),
                                         message.empty() ? "(no message on stderr)" : message));
  }
  if (auto tail = chunker.finish()) co_await sink(std::move(*tail));
}

}  // namespace xz::providers
