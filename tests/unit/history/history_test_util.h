#pragma once
// Shared helpers of the chat-history tests: real Opus packets of flite speech and a
// filled-in turn.
#include <cstdint>
#include <string>
#include <vector>

#include "audio/opus_encoder.h"
#include "history/turn_record.h"
#include "support/speech.h"

namespace xz::test {

// What the device uplink sends: 16 kHz mono, 60 ms frames.
inline std::vector<std::string> uplink_packets(const std::string& text) {
  audio::OpusFramer framer(audio::OpusEncoder(16000, 60, 5, audio::OpusEncoder::kBitrateAuto));
  auto packets = framer.push(flite_speech(text));
  if (auto last = framer.flush()) packets.push_back(*last);
  return packets;
}

inline history::TurnRecord sample_turn(std::string device, std::string session, std::int64_t started_ms,
                                       std::string user, std::string assistant) {
  history::TurnRecord t;
  t.device_id = std::move(device);
  t.session_id = std::move(session);
  t.started_ms = started_ms;
  t.kind = "user";
  t.user_text = std::move(user);
  t.assistant_text = std::move(assistant);
  return t;
}

}  // namespace xz::test
