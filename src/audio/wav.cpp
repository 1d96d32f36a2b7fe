#include "audio/wav.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

namespace xz::audio {

namespace {

constexpr std::uintmax_t kMaxWavFileBytes = std::uintmax_t{1} << 30;

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>(v >> 8);
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v & 0xFFFF));
  put16(out, static_cast<std::uint16_t>(v >> 16));
}

void set_error(std::string* error, std::string message) {
  if (error) *error = std::move(message);
}

}  // namespace

std::optional<WavAudio> parse_wav(std::string_view bytes, std::string* error) {
  WavStreamReader reader;
  std::vector<std::int16_t> samples;
  try {
    samples = reader.feed(bytes);
  } catch (const WavError& e) {
    set_error(error, e.what());
    return std::nullopt;
  }
  if (!reader.format()) {
    set_error(error, reader.incomplete_reason());
    return std::nullopt;
  }
  return WavAudio{reader.format()->sample_rate, reader.format()->channels, std::move(samples)};
}

std::string make_wav(std::span<const std::int16_t> samples, int sample_rate, int channels) {
  if (sample_rate < 1000 || sample_rate > 384000)
    throw std::invalid_argument(fmt::format("make_wav: sample rate {} is out of range", sample_rate));
  if (channels < 1 || channels > 8)
    throw std::invalid_argument(fmt::format("make_wav: {} channels; 1-8 are supported", channels));
  const std::uint64_t data_bytes = samples.size() * 2ull;
  if (data_bytes > std::numeric_limits<std::uint32_t>::max() - 36)
    throw std::invalid_argument("make_wav: more than 4 GiB of audio");
  const auto block_align = static_cast<std::uint16_t>(channels * 2);
  std::string out;
  out.reserve(44 + data_bytes);
  out += "RIFF";
  put32(out, static_cast<std::uint32_t>(36 + data_bytes));
  out += "WAVEfmt ";
  put32(out, 16);
  put16(out, 1);  // PCM
  put16(out, static_cast<std::uint16_t>(channels));
  put32(out, static_cast<std::uint32_t>(sample_rate));
  put32(out, static_cast<std::uint32_t>(sample_rate) * block_align);
  put16(out, block_align);
  put16(out, 16);
  out += "data";
  put32(out, static_cast<std::uint32_t>(data_bytes));
  for (std::int16_t s : samples) put16(out, static_cast<std::uint16_t>(s));
  return out;
}

std::optional<WavAudio> read_wav_file(const std::filesystem::path& path, std::string* error) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    set_error(error, fmt::format("{}: {}", path.string(), ec.message()));
    return std::nullopt;
  }
  if (size > kMaxWavFileBytes) {
    set_error(error, fmt::format("{}: {} bytes is larger than the 1 GiB limit", path.string(), size));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    set_error(error, fmt::format("{}: read failed: {}", path.string(), std::strerror(errno)));
    return std::nullopt;
  }
  std::string why;
  auto wav = parse_wav(bytes, &why);
  if (!wav) set_error(error, fmt::format("{}: {}", path.string(), why));
  return wav;
}

bool write_wav_file(const std::filesystem::path& path, std::span<const std::int16_t> samples, int sample_rate,
                    int channels, std::string* error) {
  std::string bytes;
  try {
    bytes = make_wav(samples, sample_rate, channels);
  } catch (const std::invalid_argument& e) {
    set_error(error, fmt::format("{}: {}", path.string(), e.what()));
    return false;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())) || !out.flush()) {
    set_error(error, fmt::format("{}: write failed: {}", path.string(), std::strerror(errno)));
    return false;
  }
  return true;
}

std::vector<std::int16_t> downmix_to_mono(std::span<const std::int16_t> interleaved, int channels) {
  if (channels < 1) throw std::invalid_argument(fmt::format("downmix_to_mono: {} channels", channels));
  if (channels == 1) return {interleaved.begin(), interleaved.end()};
  const auto ch = static_cast<std::size_t>(channels);
  std::vector<std::int16_t> out(interleaved.size() / ch);
  for (std::size_t f = 0; f < out.size(); ++f) {
    int sum = 0;
    for (std::size_t c = 0; c < ch; ++c) sum += interleaved[f * ch + c];
    out[f] = static_cast<std::int16_t>(sum / channels);
  }
  return out;
}

}  // namespace xz::audio
