#include "audio/resampler.h"

#include <soxr.h>

#include <stdexcept>

#include <fmt/format.h>

namespace xz::audio {

namespace {

void check(soxr_error_t err, const char* what) {
  if (err) throw std::runtime_error(fmt::format("resampler: {}: {}", what, err));
}

}  // namespace

void Resampler::Free::operator()(soxr* s) const { soxr_delete(s); }

Resampler::Resampler(int in_rate, int out_rate) : in_rate_(in_rate), out_rate_(out_rate) {
  auto valid = [](int r) { return r >= 1000 && r <= 384000; };
  if (!valid(in_rate) || !valid(out_rate))
    throw std::invalid_argument(fmt::format("resampler: unsupported rates {} -> {}", in_rate, out_rate));
  if (in_rate == out_rate) return;
  soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
  // No dither: silence must stay digital silence (Opus DTX, VAD).
  io.flags |= SOXR_NO_DITHER;
  soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  soxr_error_t err = nullptr;
  soxr_.reset(soxr_create(in_rate, out_rate, 1, &err, &io, &quality, &runtime));
  check(err, "create");
  if (!soxr_) throw std::runtime_error("resampler: soxr_create failed");
}

std::vector<std::int16_t> Resampler::process(std::span<const std::int16_t> pcm) {
  if (!soxr_) return {pcm.begin(), pcm.end()};
  std::vector<std::int16_t> out;
  // Room for the converted chunk plus whatever soxr released from earlier input.
  std::size_t room = pcm.size() * static_cast<std::size_t>(out_rate_) / static_cast<std::size_t>(in_rate_) + 256;
  while (!pcm.empty()) {
    std::size_t old = out.size();
    out.resize(old + room);
    std::size_t used = 0, made = 0;
    check(soxr_process(soxr_.get(), pcm.data(), pcm.size(), &used, out.data() + old, room, &made), "process");
    out.resize(old + made);
    if (used == 0 && made == 0) throw std::runtime_error("resampler: soxr made no progress");
    pcm = pcm.subspan(used);
  }
  return out;
}

std::vector<std::int16_t> Resampler::flush() {
  if (!soxr_) return {};
  std::vector<std::int16_t> out;
  constexpr std::size_t kStep = 4096;
  for (;;) {
    std::size_t old = out.size();
    out.resize(old + kStep);
    std::size_t made = 0;
    // A null input tells soxr the stream has ended.
    check(soxr_process(soxr_.get(), nullptr, 0, nullptr, out.data() + old, kStep, &made), "flush");
    out.resize(old + made);
    if (made == 0) break;
  }
  check(soxr_clear(soxr_.get()), "clear");
  return out;
}

std::vector<std::int16_t> resample_once(std::span<const std::int16_t> pcm, int in_rate, int out_rate) {
  Resampler r(in_rate, out_rate);
  auto out = r.process(pcm);
  auto tail = r.flush();
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

}  // namespace xz::audio
