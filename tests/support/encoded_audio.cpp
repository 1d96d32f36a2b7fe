#include "support/encoded_audio.h"

#include <FLAC/stream_encoder.h>
#include <lame/lame.h>
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
}

#include <algorithm>
#include <memory>
#include <span>
#include <stdexcept>

#include "audio/opus_encoder.h"

namespace xz::test {

namespace {

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t ogg_crc(const std::string& bytes) {
  std::uint32_t crc = 0;
  for (unsigned char c : bytes) {
    crc ^= static_cast<std::uint32_t>(c) << 24;
    for (int k = 0; k < 8; ++k) crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04c11db7u : crc << 1;
  }
  return crc;
}

std::string ogg_page(const std::vector<std::string>& packets, std::uint8_t flags, std::uint64_t granule,
                     std::uint32_t seq) {
  std::string lacing, body;
  for (const auto& p : packets) {
    std::size_t n = p.size();
    while (n >= 255) {
      lacing.push_back(static_cast<char>(255));
      n -= 255;
    }
    lacing.push_back(static_cast<char>(n));
    body += p;
  }
  if (lacing.size() > 255) throw std::logic_error("too many segments for one Ogg page");
  std::string page = "OggS";
  page.push_back(0);
  page.push_back(static_cast<char>(flags));
  put_le(page, granule, 8);
  put_le(page, 0x1234abcd, 4);  // stream serial
  put_le(page, seq, 4);
  put_le(page, 0, 4);  // CRC, filled below
  page.push_back(static_cast<char>(lacing.size()));
  page += lacing + body;
  std::uint32_t crc = ogg_crc(page);
  for (int i = 0; i < 4; ++i) page[22 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return page;
}

}  // namespace

std::string encode_mp3(const std::vector<std::int16_t>& pcm, int rate, int channels, int kbps, bool info_tag) {
  std::unique_ptr<lame_global_flags, int (*)(lame_global_flags*)> lame(lame_init(), lame_close);
  if (!lame) throw std::runtime_error("lame_init failed");
  lame_set_in_samplerate(lame.get(), rate);
  lame_set_out_samplerate(lame.get(), rate);
  lame_set_num_channels(lame.get(), channels);
  lame_set_mode(lame.get(), channels == 1 ? MONO : JOINT_STEREO);
  // libmp3lame writes the tag frame for VBR only.
  if (info_tag) {
    lame_set_VBR(lame.get(), vbr_default);
    lame_set_VBR_mean_bitrate_kbps(lame.get(), kbps);
  } else {
    lame_set_brate(lame.get(), kbps);
  }
  lame_set_bWriteVbrTag(lame.get(), info_tag ? 1 : 0);
  if (lame_init_params(lame.get()) < 0) throw std::runtime_error("lame_init_params failed");
  const int frames = static_cast<int>(pcm.size()) / channels;
  std::vector<unsigned char> out(static_cast<std::size_t>(frames) * 5 / 4 + 7200 + 16384);
  std::vector<std::int16_t> copy = pcm;  // lame takes non-const buffers
  int n = channels == 1 ? lame_encode_buffer(lame.get(), copy.data(), nullptr, frames, out.data(),
                                             static_cast<int>(out.size()))
                        : lame_encode_buffer_interleaved(lame.get(), copy.data(), frames, out.data(),
                                                         static_cast<int>(out.size()));
  if (n < 0) throw std::runtime_error("lame_encode_buffer failed: " + std::to_string(n));
  int tail = lame_encode_flush(lame.get(), out.data() + n, static_cast<int>(out.size()) - n);
  if (tail < 0) throw std::runtime_error("lame_encode_flush failed");
  std::string mp3(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n + tail));
  if (info_tag) {
    // The tag frame was written as a placeholder at the start; fill it in, as a file
    // writer that can seek back does.
    std::vector<unsigned char> tag(8192);
    std::size_t size = lame_get_lametag_frame(lame.get(), tag.data(), tag.size());
    if (size == 0 || size > tag.size() || size > mp3.size()) throw std::runtime_error("no LAME tag frame");
    std::copy_n(tag.begin(), size, mp3.begin());
  }
  return mp3;
}

std::string encode_flac(const std::vector<std::int16_t>& pcm, int rate, int channels, unsigned blocksize) {
  std::unique_ptr<FLAC__StreamEncoder, void (*)(FLAC__StreamEncoder*)> enc(FLAC__stream_encoder_new(),
                                                                           FLAC__stream_encoder_delete);
  if (!enc) throw std::runtime_error("FLAC__stream_encoder_new failed");
  FLAC__stream_encoder_set_channels(enc.get(), static_cast<unsigned>(channels));
  FLAC__stream_encoder_set_bits_per_sample(enc.get(), 16);
  FLAC__stream_encoder_set_sample_rate(enc.get(), static_cast<unsigned>(rate));
  FLAC__stream_encoder_set_compression_level(enc.get(), 5);
  if (blocksize) FLAC__stream_encoder_set_blocksize(enc.get(), blocksize);
  std::string out;
  auto write = [](const FLAC__StreamEncoder*, const FLAC__byte buffer[], size_t bytes, uint32_t, uint32_t,
                  void* client) -> FLAC__StreamEncoderWriteStatus {
    static_cast<std::string*>(client)->append(reinterpret_cast<const char*>(buffer), bytes);
    return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
  };
  if (FLAC__stream_encoder_init_stream(enc.get(), write, nullptr, nullptr, nullptr, &out) !=
      FLAC__STREAM_ENCODER_INIT_STATUS_OK)
    throw std::runtime_error("FLAC__stream_encoder_init_stream failed");
  std::vector<FLAC__int32> wide(pcm.begin(), pcm.end());
  const auto frames = static_cast<unsigned>(pcm.size() / static_cast<std::size_t>(channels));
  if (!FLAC__stream_encoder_process_interleaved(enc.get(), wide.data(), frames))
    throw std::runtime_error("FLAC__stream_encoder_process_interleaved failed");
  if (!FLAC__stream_encoder_finish(enc.get())) throw std::runtime_error("FLAC__stream_encoder_finish failed");
  return out;
}

std::string make_ogg_opus(const std::vector<std::int16_t>& pcm48k) {
  constexpr int kPreSkip = 312;
  audio::OpusEncoder enc(48000, 20, 5, 64000);
  std::string head = "OpusHead";
  head.push_back(1);  // version
  head.push_back(1);  // channels
  put_le(head, kPreSkip, 2);
  put_le(head, 48000, 4);
  put_le(head, 0, 2);  // output gain
  head.push_back(0);   // mapping family
  std::string tags = "OpusTags";
  put_le(tags, 8, 4);
  tags += "xz-tests";
  put_le(tags, 0, 4);

  std::uint32_t seq = 0;
  std::string file = ogg_page({head}, 2, 0, seq++);
  file += ogg_page({tags}, 0, 0, seq++);
  const std::size_t frame = static_cast<std::size_t>(enc.frame_samples());
  // The encoder's look-ahead (pre-skip) has to be flushed out with trailing silence.
  std::vector<std::int16_t> padded = pcm48k;
  padded.resize(((pcm48k.size() + kPreSkip) / frame + 1) * frame, 0);
  std::vector<std::string> packets;
  std::uint64_t granule = 0;  // 48 kHz samples decoded so far, pre-skip included
  const std::uint64_t end = kPreSkip + pcm48k.size();
  for (std::size_t at = 0; at < padded.size(); at += frame) {
    packets.push_back(enc.encode(std::span<const std::int16_t>(padded.data() + at, frame)));
    granule += frame;
    const bool last = at + frame >= padded.size();
    if (packets.size() == 25 || last) {
      file += ogg_page(packets, last ? 4 : 0, last ? end : granule, seq++);
      packets.clear();
    }
  }
  return file;
}

std::string encode_adts_aac(const std::vector<std::int16_t>& pcm, int rate, int channels, int kbps) {
  static constexpr int kRates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350};
  const auto* found = std::find(std::begin(kRates), std::end(kRates), rate);
  if (found == std::end(kRates)) throw std::runtime_error("no ADTS sampling frequency index for this rate");
  const int rate_index = static_cast<int>(found - std::begin(kRates));

  av_log_set_level(AV_LOG_ERROR);  // not the encoder's statistics on every test run
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!codec) throw std::runtime_error("libavcodec has no AAC encoder");
  auto free_ctx = [](AVCodecContext* c) { avcodec_free_context(&c); };
  std::unique_ptr<AVCodecContext, decltype(free_ctx)> ctx(avcodec_alloc_context3(codec), free_ctx);
  ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
  ctx->sample_rate = rate;
  av_channel_layout_default(&ctx->ch_layout, channels);
  ctx->bit_rate = kbps * 1000;
  ctx->profile = FF_PROFILE_AAC_LOW;
  if (avcodec_open2(ctx.get(), codec, nullptr) < 0) throw std::runtime_error("avcodec_open2(aac) failed");
  auto free_frame = [](AVFrame* f) { av_frame_free(&f); };
  std::unique_ptr<AVFrame, decltype(free_frame)> frame(av_frame_alloc(), free_frame);
  auto free_packet = [](AVPacket* p) { av_packet_free(&p); };
  std::unique_ptr<AVPacket, decltype(free_packet)> packet(av_packet_alloc(), free_packet);

  std::string out;
  auto drain = [&] {
    while (avcodec_receive_packet(ctx.get(), packet.get()) == 0) {
      const std::size_t len = 7 + static_cast<std::size_t>(packet->size);
      // ADTS header: sync, MPEG-4, layer 0, no CRC; AAC LC; rate index; channel config;
      // frame length; buffer fullness 0x7FF (VBR); one raw data block.
      unsigned char h[7];
      h[0] = 0xFF;
      h[1] = 0xF1;
      h[2] = static_cast<unsigned char>((1 << 6) | (rate_index << 2) | (channels >> 2));
      h[3] = static_cast<unsigned char>(((channels & 3) << 6) | (len >> 11));
      h[4] = static_cast<unsigned char>((len >> 3) & 0xFF);
      h[5] = static_cast<unsigned char>(((len & 7) << 5) | 0x1F);
      h[6] = 0xFC;
      out.append(reinterpret_cast<const char*>(h), 7);
      out.append(reinterpret_cast<const char*>(packet->data), static_cast<std::size_t>(packet->size));
      av_packet_unref(packet.get());
    }
  };
  const std::size_t total = pcm.size() / static_cast<std::size_t>(channels);
  const auto block = static_cast<std::size_t>(ctx->frame_size);
  for (std::size_t at = 0; at < total; at += block) {
    const std::size_t n = std::min(block, total - at);
    frame->nb_samples = static_cast<int>(n);
    frame->format = ctx->sample_fmt;
    frame->sample_rate = rate;
    av_channel_layout_copy(&frame->ch_layout, &ctx->ch_layout);
    if (av_frame_get_buffer(frame.get(), 0) < 0) throw std::runtime_error("av_frame_get_buffer failed");
    for (int c = 0; c < channels; ++c) {
      auto* plane = reinterpret_cast<float*>(frame->data[c]);
      for (std::size_t i = 0; i < n; ++i)
        plane[i] = static_cast<float>(pcm[(at + i) * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)]) / 32768.0f;
    }
    frame->pts = static_cast<std::int64_t>(at);
    if (avcodec_send_frame(ctx.get(), frame.get()) < 0) throw std::runtime_error("avcodec_send_frame failed");
    av_frame_unref(frame.get());
    drain();
  }
  avcodec_send_frame(ctx.get(), nullptr);
  drain();
  return out;
}

std::string encode_wav(const std::vector<std::int16_t>& pcm, int rate, int channels) {
  std::string w = "RIFF";
  put_le(w, 36 + pcm.size() * 2, 4);
  w += "WAVEfmt ";
  put_le(w, 16, 4);
  put_le(w, 1, 2);
  put_le(w, static_cast<std::uint64_t>(channels), 2);
  put_le(w, static_cast<std::uint64_t>(rate), 4);
  put_le(w, static_cast<std::uint64_t>(rate * channels * 2), 4);
  put_le(w, static_cast<std::uint64_t>(channels * 2), 2);
  put_le(w, 16, 2);
  w += "data";
  put_le(w, pcm.size() * 2, 4);
  for (auto s : pcm) put_le(w, static_cast<std::uint16_t>(s), 2);
  return w;
}

}  // namespace xz::test
