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

#include "audio/opus_decoder.h"
#include "audio/resampler.h"
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

// Ogg's CRC-32 (polynomial 0x04c11db7, no reflection, initial value 0).
std::uint32_t ogg_crc(std::string_view bytes) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t r = i << 24;
      for (int k = 0; k < 8; ++k) r = (r & 0x80000000u) ? (r << 1) ^ 0x04c11db7u : r << 1;
      t[i] = r;
    }
    return t;
  }();
  std::uint32_t crc = 0;
  for (unsigned char c : bytes) crc = (crc << 8) ^ table[((crc >> 24) ^ c) & 0xff];
  return crc;
}

std::uint32_t le32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at])) |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at + 2])) << 16 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at + 3])) << 24;
}

struct OggPage {
  std::uint8_t flags = 0;  // 1 = continues a packet, 2 = first page, 4 = last page
  std::int64_t granule = -1;
  std::uint32_t serial = 0;
  std::string_view lacing;
  std::string_view body;
};

constexpr std::size_t kOggHeader = 27;
constexpr std::size_t kMaxPacket = 1 << 20;  // Opus audio packets are < 8 KiB

// The Ogg pages of a file, read in blocks; damaged bytes are skipped up to the next
// page whose checksum holds.
class OggPageReader {
 public:
  explicit OggPageReader(const std::filesystem::path& path) : in_(path, std::ios::binary) {
    if (!in_) throw std::runtime_error(fmt::format("cannot read '{}'", path.string()));
  }

  // The next page, valid until the next call; std::nullopt at the end of the file.
  std::optional<OggPage> next() {
    buf_.erase(0, used_);
    used_ = 0;
    for (;;) {
      std::size_t at = buf_.find("OggS");
      if (at == std::string::npos) {
        buf_.erase(0, buf_.size() > 3 ? buf_.size() - 3 : 0);
        if (!fill()) return std::nullopt;
        continue;
      }
      buf_.erase(0, at);
      if (buf_.size() < kOggHeader && fill()) continue;
      if (buf_.size() < kOggHeader) return std::nullopt;
      std::size_t segs = static_cast<std::uint8_t>(buf_[26]);
      if (buf_.size() < kOggHeader + segs && fill()) continue;
      if (buf_.size() < kOggHeader + segs) return std::nullopt;
      std::size_t body = 0;
      for (std::size_t i = 0; i < segs; ++i) body += static_cast<std::uint8_t>(buf_[kOggHeader + i]);
      std::size_t total = kOggHeader + segs + body;
      if (buf_.size() < total && fill()) continue;
      if (buf_.size() < total) return std::nullopt;  // cut-off last page
      std::string_view page(buf_.data(), total);
      std::string copy(page);
      std::memset(copy.data() + 22, 0, 4);
      if (buf_[4] != 0 || ogg_crc(copy) != le32(page, 22)) {
        buf_.erase(0, 1);  // not a real page boundary: search on
        continue;
      }
      used_ = total;
      OggPage p;
      p.flags = static_cast<std::uint8_t>(page[5]);
      std::uint64_t g = 0;
      for (int i = 7; i >= 0; --i) g = (g << 8) | static_cast<std::uint8_t>(page[6 + i]);
      p.granule = static_cast<std::int64_t>(g);
      p.serial = le32(page, 14);
      p.lacing = page.substr(kOggHeader, segs);
      p.body = page.substr(kOggHeader + segs);
      return p;
    }
  }

 private:
  bool fill() {
    std::array<char, 65536> block;
    in_.read(block.data(), block.size());
    auto n = static_cast<std::size_t>(in_.gcount());
    buf_.append(block.data(), n);
    return n > 0;
  }

  std::ifstream in_;
  std::string buf_;  // < one page (64 KiB) + one block
  std::size_t used_ = 0;
};

struct OpusHead {
  int channels = 0;
  int pre_skip = 0;  // 48 kHz samples
  double gain = 1.0;
};

OpusHead parse_opus_head(std::string_view p, const std::string& file) {
  if (p.size() < 19 || p.substr(0, 8) != "OpusHead")
    throw std::runtime_error(fmt::format("'{}' is not an Ogg Opus file (no OpusHead)", file));
  OpusHead h;
  if ((static_cast<std::uint8_t>(p[8]) & 0xf0) != 0)
    throw std::runtime_error(fmt::format("'{}': unsupported Ogg Opus version {}", file, static_cast<int>(p[8])));
  h.channels = static_cast<std::uint8_t>(p[9]);
  h.pre_skip = static_cast<std::uint8_t>(p[10]) | static_cast<std::uint8_t>(p[11]) << 8;
  auto gain_q8 = static_cast<std::int16_t>(static_cast<std::uint8_t>(p[16]) | static_cast<std::uint8_t>(p[17]) << 8);
  h.gain = std::pow(10.0, gain_q8 / (20.0 * 256.0));
  int family = static_cast<std::uint8_t>(p[18]);
  // One decoder handles one Opus stream of 1-2 channels; surround needs a multistream decoder.
  if (h.channels < 1 || h.channels > 2 || family > 1)
    throw std::runtime_error(
        fmt::format("'{}': Ogg Opus with {} channels (mapping family {}) is not supported", file, h.channels, family));
  return h;
}

// The decoding state of one Ogg Opus file. Touched only inside pool jobs, one at a time.
class OggOpusStream {
 public:
  OggOpusStream(const std::filesystem::path& path, int rate, std::size_t chunk)
      : file_(path.string()),
        pages_(path),
        decode_rate_(is_opus_rate(rate) ? rate : 48000),
        chunk_(chunk),
        decoder_(decode_rate_, 1) {  // libopus downmixes a stereo stream to mono itself
    if (decode_rate_ != rate) resampler_.emplace(decode_rate_, rate);
    auto first = pages_.next();
    if (!first || !(first->flags & 2)) throw std::runtime_error(fmt::format("'{}' is not an Ogg file", file_));
    serial_ = first->serial;
    consume(*first);
    if (!head_) throw std::runtime_error(fmt::format("'{}' is not an Ogg Opus file (no OpusHead)", file_));
  }

  // Blocking: reads and decodes pages until a chunk is ready. Empty at the end.
  std::vector<std::int16_t> next_chunk() {
    while (out_.size() < chunk_ && !finished_) {
      auto page = pages_.next();
      if (!page) {
        finish();
        break;
      }
      if (page->serial != serial_) continue;  // another logical stream
      consume(*page);
      if (page->flags & 4) finish();
    }
    return take_front(out_, chunk_);
  }

 private:
  static bool is_opus_rate(int r) { return r == 8000 || r == 12000 || r == 16000 || r == 24000 || r == 48000; }

  void consume(const OggPage& page) {
    if (!(page.flags & 1)) {
      if (in_packet_) ++packet_index_;  // cut short by a lost page: dropped
      in_packet_ = dropping_ = false;
      packet_.clear();
    } else if (!in_packet_) {
      dropping_ = true;  // continues a packet whose start we never saw
    }
    std::vector<std::int16_t> decoded;
    std::size_t pos = 0;
    for (unsigned char lace : page.lacing) {
      in_packet_ = true;
      if (!dropping_ && packet_index_ != 1) {  // packet 1 (OpusTags) may hold cover art: not kept
        packet_.append(page.body.substr(pos, lace));
        if (packet_.size() > kMaxPacket)
          throw std::runtime_error(fmt::format("'{}': Ogg packet larger than {} bytes", file_, kMaxPacket));
      }
      pos += lace;
      if (lace < 255) {
        if (!dropping_) on_packet(decoded);
        ++packet_index_;
        in_packet_ = dropping_ = false;
        packet_.clear();
      }
    }
    // The granule position of the last page says where the audio really ends.
    if ((page.flags & 4) && page.granule >= 0 && head_) {
      auto end = static_cast<std::uint64_t>(page.granule) * static_cast<std::uint64_t>(decode_rate_) / 48000u;
      if (decoded_ > end) {
        auto extra = static_cast<std::size_t>(std::min<std::uint64_t>(decoded_ - end, decoded.size()));
        decoded.resize(decoded.size() - extra);
        decoded_ -= extra;
      }
    }
    deliver(decoded);
  }

  void on_packet(std::vector<std::int16_t>& decoded) {
    if (packet_index_ == 0) {
      head_ = parse_opus_head(packet_, file_);
      skip_left_ = static_cast<std::size_t>(head_->pre_skip) * static_cast<std::size_t>(decode_rate_) / 48000u;
      return;
    }
    if (packet_index_ == 1) return;  // OpusTags
    auto pcm = decoder_.decode(packet_);
    if (!pcm) return;  // a damaged packet is skipped, as a player would
    decoded_ += pcm->size();
    std::size_t skip = std::min(skip_left_, pcm->size());
    skip_left_ -= skip;
    decoded.insert(decoded.end(), pcm->begin() + static_cast<std::ptrdiff_t>(skip), pcm->end());
  }

  void deliver(std::vector<std::int16_t>& pcm) {
    if (head_ && head_->gain != 1.0)
      for (auto& s : pcm)
        s = static_cast<std::int16_t>(std::clamp(std::lround(s * head_->gain), -32768L, 32767L));
    if (resampler_) pcm = resampler_->process(pcm);
    out_.insert(out_.end(), pcm.begin(), pcm.end());
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    if (resampler_) {
      auto tail = resampler_->flush();
      out_.insert(out_.end(), tail.begin(), tail.end());
    }
  }

  std::string file_;
  OggPageReader pages_;
  int decode_rate_;
  std::size_t chunk_;
  OpusDecoder decoder_;
  std::optional<Resampler> resampler_;
  std::optional<OpusHead> head_;
  std::uint32_t serial_ = 0;
  std::string packet_;      // the packet being assembled
  bool in_packet_ = false;  // a packet goes on onto the next page
  bool dropping_ = false;
  std::size_t packet_index_ = 0;
  std::size_t skip_left_ = 0;
  std::uint64_t decoded_ = 0;  // samples at decode_rate_, pre-skip included
  std::vector<std::int16_t> out_;
  bool finished_ = false;
};

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
  std::array<char, kOggHeader + 255 + 8> head{};
  in.read(head.data(), head.size());
  std::string_view got(head.data(), static_cast<std::size_t>(in.gcount()));
  if (got.size() < kOggHeader + 8 || got.substr(0, 4) != "OggS") return false;
  std::size_t at = kOggHeader + static_cast<std::uint8_t>(got[26]);
  return got.size() >= at + 8 && got.substr(at, 8) == "OpusHead";
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
    return std::make_shared<OggOpusStream>(path, opts.sample_rate, chunk);
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
