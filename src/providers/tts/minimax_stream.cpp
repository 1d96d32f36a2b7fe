#include "providers/tts/minimax_stream.h"

#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "protocol/encoding.h"
#include "protocol/json_text.h"

namespace xz::providers {

namespace {

using json = nlohmann::json;

// The summary line holds all of a sentence's audio in hex: 30 s of 24 kHz PCM is 2.9 MB.
constexpr std::size_t kMaxLineBytes = 16 * 1024 * 1024;
constexpr std::size_t kMaxOtherBytes = 64 * 1024;

// Throws the vendor's error when `j` carries one.
void check_base_resp(const json& j) {
  auto base = j.find("base_resp");
  if (base == j.end() || !base->is_object()) return;
  auto code = base->find("status_code");
  if (code == base->end() || !code->is_number_integer() || code->get<long long>() == 0) return;
  auto msg = base->find("status_msg");
  throw std::runtime_error(fmt::format("MiniMax error {}: {}", code->get<long long>(),
                                       msg != base->end() && msg->is_string() ? msg->get<std::string>() : "(no message)"));
}

}  // namespace

MinimaxStreamBody::MinimaxStreamBody(std::unique_ptr<audio::AudioStreamDecoder> audio) : audio_(std::move(audio)) {}

void MinimaxStreamBody::append(audio::DecodedPcm piece, audio::DecodedPcm& out) const {
  if (piece.samples.empty()) return;
  out.sample_rate = piece.sample_rate;
  out.samples.insert(out.samples.end(), piece.samples.begin(), piece.samples.end());
}

void MinimaxStreamBody::line(std::string_view text, audio::DecodedPcm& out) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (!text.starts_with("data:")) {
    if (other_.size() + text.size() <= kMaxOtherBytes) (other_ += text) += '\n';
    return;
  }
  text.remove_prefix(5);
  const json j = protocol::parse_json_text(text);
  if (!j.is_object()) return;  // not JSON: a keep-alive, as the reference treats it
  saw_data_ = true;
  check_base_resp(j);
  if (j.contains("extra_info")) return;  // the summary repeats all the audio
  auto data = j.find("data");
  if (data == j.end() || !data->is_object()) return;
  auto hex = data->find("audio");
  if (hex == data->end() || !hex->is_string() || hex->get_ref<const std::string&>().empty()) return;
  auto bytes = protocol::hex_decode(hex->get_ref<const std::string&>());
  if (!bytes) throw audio::AudioFormatError("MiniMax audio is not hex");
  append(audio_->push(audio::as_bytes(*bytes)), out);
}

audio::DecodedPcm MinimaxStreamBody::push(std::span<const std::uint8_t> bytes) {
  audio::DecodedPcm out;
  std::string_view in(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  while (!in.empty()) {
    const auto nl = in.find('\n');
    if (nl == std::string_view::npos) {
      if (pending_.size() + in.size() > kMaxLineBytes)
        throw audio::AudioFormatError("MiniMax answer has a line over 16 MiB");
      pending_.append(in);
      break;
    }
    if (pending_.empty()) {
      line(in.substr(0, nl), out);
    } else {
      pending_.append(in.substr(0, nl));
      std::string whole = std::move(pending_);
      pending_.clear();
      line(whole, out);
    }
    in.remove_prefix(nl + 1);
  }
  return out;
}

audio::DecodedPcm MinimaxStreamBody::finish() {
  audio::DecodedPcm out;
  if (!pending_.empty()) {
    std::string last = std::move(pending_);
    pending_.clear();
    line(last, out);
  }
  // Not a stream at all: a JSON answer, normally the vendor's error.
  if (!saw_data_) {
    const json j = protocol::parse_json_text(other_);
    if (j.is_object()) check_base_resp(j);
  }
  append(audio_->finish(), out);
  return out;
}

}  // namespace xz::providers
