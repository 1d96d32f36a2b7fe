#pragma once
// Compressed audio made by real encoders, for tests of the decoders and of TTS engines
// whose vendors answer mp3, Ogg Opus, FLAC, ADTS AAC or WAV: libmp3lame, libFLAC,
// libopus (with the Ogg writer here), libavcodec's native AAC encoder.
// `pcm` is interleaved when channels > 1. Each throws std::runtime_error on failure.
#include <cstdint>
#include <string>
#include <vector>

namespace xz::test {

// MPEG-1/2 layer III. info_tag: VBR with a LAME tag frame first, so decoders cut the
// encoder delay and padding (gapless), as in a file; without: CBR with no tag, what a
// live encoder streams (Edge's voices).
std::string encode_mp3(const std::vector<std::int16_t>& pcm, int rate, int channels = 1, int kbps = 48,
                       bool info_tag = true);
// FLAC as a live encoder streams it: STREAMINFO without totals, then frames.
std::string encode_flac(const std::vector<std::int16_t>& pcm, int rate, int channels = 1, unsigned blocksize = 1152);
// Ogg Opus (mono, 20 ms packets, pre-skip 312) of 48 kHz PCM, with the final granule
// position set so that exactly pcm48k.size() samples decode.
std::string make_ogg_opus(const std::vector<std::int16_t>& pcm48k);
// AAC-LC in ADTS frames (no CRC); the encoder's 1024 samples of priming come first.
std::string encode_adts_aac(const std::vector<std::int16_t>& pcm, int rate, int channels = 1, int kbps = 64);
// A 16-bit PCM WAV with a 44-byte header (any channel count).
std::string encode_wav(const std::vector<std::int16_t>& pcm, int rate, int channels = 1);

}  // namespace xz::test
