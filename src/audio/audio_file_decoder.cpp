#include "audio/audio_file_decoder.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "audio/ogg_opus_reader.h"
#include "core/async.h"
#include "core/child_process.h"
#include "core/unique_fd.h"

namespace xz::audio {

namespace asio = boost::asio;
using core::Task;

struct AudioFileDecoder::Source {
  virtual ~Source() = default;
  virtual Task<std::vector<std::int16_t>> next() = 0;
  virtual void close() = 0;
  virtual int sample_rate() const = 0;
  virtual int child_pid() const { return -1; }
};

namespace {

constexpr std::size_t kStderrLimit = 4096;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

// A memory file for the child's stderr that cannot grow past kStderrLimit.
core::UniqueFd stderr_file() {
  core::UniqueFd fd(::memfd_create("xz-sox-stderr", MFD_CLOEXEC | MFD_ALLOW_SEALING));
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

// Takes up to `n` samples off the front of `pending`.
std::vector<std::int16_t> take_front(std::vector<std::int16_t>& pending, std::size_t n) {
  n = std::min(n, pending.size());
  std::vector<std::int16_t> out(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

// ---------------------------------------------------------------- sox child process

class SoxSource final : public AudioFileDecoder::Source {
 public:
  SoxSource(asio::any_io_executor ex, std::unique_ptr<core::ChildProcess> child, core::UniqueFd out,
            core::UniqueFd err, std::string file, int rate, std::size_t chunk)
      : out_(std::move(ex), out.release()),
        child_(std::move(child)),
        err_(std::move(err)),
        file_(std::move(file)),
        rate_(rate),
        chunk_(chunk) {}

  Task<std::vector<std::int16_t>> next() override {
    if (done_) co_return std::vector<std::int16_t>{};
    std::array<char, 16384> buf;
    while (pending_.size() < chunk_ && !eof_) {
      auto [ec, n] = co_await out_.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      append(std::string_view(buf.data(), n));
      if (ec == asio::error::eof) {
        eof_ = true;
      } else if (ec) {
        close();
        throw boost::system::system_error(ec, fmt::format("sox: reading the decoded '{}'", file_));
      }
    }
    if (pending_.size() >= chunk_) co_return take_front(pending_, chunk_);
    // End of output: only a clean exit makes the last samples good.
    int status = co_await child_->wait_exit();
    if (status != 0) {
      done_ = true;
      std::string message = read_stderr(err_.get());
      if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && message.empty())
        message = "the sox program was not found";
      throw std::runtime_error(fmt::format("sox could not decode '{}' ({}): {}", file_,
                                           core::describe_wait_status(status),
                                           message.empty() ? "(no message on stderr)" : message));
    }
    done_ = true;
    co_return std::move(pending_);
  }

  void close() override {
    done_ = true;
    pending_.clear();
    boost::system::error_code ignored;
    out_.close(ignored);
    child_.reset();  // killed now, reaped off the loop
  }

  int sample_rate() const override { return rate_; }
  int child_pid() const override { return child_ && !child_->status() ? child_->pid() : -1; }

 private:
  // Raw little-endian int16; a split sample waits for its second byte.
  void append(std::string_view bytes) {
    if (bytes.empty()) return;
    std::size_t i = 0;
    if (odd_byte_) {
      pending_.push_back(static_cast<std::int16_t>(static_cast<std::uint8_t>(*odd_byte_) |
                                                   (static_cast<std::uint8_t>(bytes[0]) << 8)));
      odd_byte_.reset();
      i = 1;
    }
    for (; i + 1 < bytes.size(); i += 2)
      pending_.push_back(static_cast<std::int16_t>(static_cast<std::uint8_t>(bytes[i]) |
                                                   (static_cast<std::uint8_t>(bytes[i + 1]) << 8)));
    if (i < bytes.size()) odd_byte_ = bytes[i];
  }

  asio::posix::stream_descriptor out_;
  std::unique_ptr<core::ChildProcess> child_;
  core::UniqueFd err_;
  std::string file_;
  int rate_;
  std::size_t chunk_;
  std::vector<std::int16_t> pending_;  // < 2 chunks
  std::optional<char> odd_byte_;
  bool eof_ = false;
  bool done_ = false;
};

Task<std::unique_ptr<AudioFileDecoder::Source>> open_sox(const std::filesystem::path& path, asio::thread_pool& pool,
                                                         const AudioFileDecoderOptions& opts, std::size_t chunk) {
  const std::string file = path.string();
  core::ChildSpec spec;
  spec.command = opts.sox_program;
  // No SOX_OPTS passed on: it could change the output format we parse.
  spec.args = {"-q", "-V1", file, "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-c", "1", "-r",
               std::to_string(opts.sample_rate), "-"};
  core::UniqueFd err = stderr_file();
  core::PipeFds out = core::make_pipe();
  auto ex = co_await asio::this_coro::executor;
  // Spawning can take milliseconds on a busy machine: not on the loop. The child is
  // owned from the moment it exists (stdin is /dev/null).
  auto child = co_await core::offload(pool, [&] {
    try {
      return std::make_unique<core::ChildProcess>(ex, spec, core::ChildStdio{-1, out.write.get(), err.get()});
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("cannot decode '{}': {}", file, e.what()));
    }
  });
  out.write.reset();  // EOF on our end once the child exits
  co_return std::make_unique<SoxSource>(std::move(ex), std::move(child), std::move(out.read), std::move(err), file,
                                        opts.sample_rate, chunk);
}

// ---------------------------------------------------------------- Ogg Opus in-process

class OggOpusSource final : public AudioFileDecoder::Source {
 public:
  OggOpusSource(asio::thread_pool& pool, std::shared_ptr<OggOpusStream> stream, int rate)
      : pool_(pool), stream_(std::move(stream)), rate_(rate) {}

  Task<std::vector<std::int16_t>> next() override {
    if (!stream_) co_return std::vector<std::int16_t>{};
    // The job holds the stream, so closing while it runs frees nothing under it.
    auto job = [s = stream_] { return s->next_chunk(); };
    auto chunk = co_await core::offload(pool_, std::move(job));
    if (chunk.empty()) stream_.reset();
    co_return chunk;
  }
  void close() override { stream_.reset(); }
  int sample_rate() const override { return rate_; }

 private:
  asio::thread_pool& pool_;
  std::shared_ptr<OggOpusStream> stream_;
  int rate_;
};

// True when the file starts with an Ogg page carrying an OpusHead packet.
bool is_ogg_opus(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  std::array<char, kOggOpusSniffBytes> head{};
  in.read(head.data(), head.size());
  return starts_ogg_opus(std::string_view(head.data(), static_cast<std::size_t>(in.gcount())));
}

std::shared_ptr<OggOpusStream> open_ogg_opus(const std::filesystem::path& path, int rate, std::size_t chunk) {
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) throw std::runtime_error(fmt::format("cannot read '{}'", path.string()));
  return std::make_shared<OggOpusStream>(std::move(in), path.string(), rate, chunk);
}

}  // namespace

Task<std::unique_ptr<AudioFileDecoder>> AudioFileDecoder::open(std::filesystem::path path, asio::thread_pool& pool,
                                                               AudioFileDecoderOptions opts) {
  if (opts.sample_rate < 8000 || opts.sample_rate > 48000)
    throw std::invalid_argument(fmt::format("audio decoder: sample rate {} outside 8000-48000", opts.sample_rate));
  if (opts.sox_program.empty()) throw std::invalid_argument("audio decoder: empty sox program name");
  const std::size_t chunk =
      opts.chunk_samples ? opts.chunk_samples : static_cast<std::size_t>(opts.sample_rate / 10);
  if (chunk > static_cast<std::size_t>(opts.sample_rate) * 10)
    throw std::invalid_argument("audio decoder: chunks longer than 10 s");
  // An absolute path can never be taken for a sox option.
  path = std::filesystem::absolute(path);

  // Checking the file reads the disk: on the pool. Opus files are opened there too.
  auto opus = co_await core::offload(pool, [&]() -> std::shared_ptr<OggOpusStream> {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw std::runtime_error(fmt::format("audio file '{}' does not exist", path.string()));
    if (!is_ogg_opus(path)) return nullptr;
    return open_ogg_opus(path, opts.sample_rate, chunk);
  });
  std::unique_ptr<Source> source;
  if (opus) {
    source = std::make_unique<OggOpusSource>(pool, std::move(opus), opts.sample_rate);
  } else {
    source = co_await open_sox(path, pool, opts, chunk);
  }
  co_return std::make_unique<AudioFileDecoder>(std::move(source));
}

AudioFileDecoder::AudioFileDecoder(std::unique_ptr<Source> source) : source_(std::move(source)) {}

AudioFileDecoder::~AudioFileDecoder() {
  if (source_) source_->close();
}

Task<std::vector<std::int16_t>> AudioFileDecoder::next() {
  try {
    co_return co_await source_->next();
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) source_->close();
    throw;
  }
}

void AudioFileDecoder::close() { source_->close(); }

int AudioFileDecoder::sample_rate() const { return source_->sample_rate(); }

int AudioFileDecoder::child_pid() const { return source_->child_pid(); }

}  // namespace xz::audio
