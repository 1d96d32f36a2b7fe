#include "protocol/audio_framing.h"

#include <stdexcept>

#include "protocol/byte_order.h"

namespace xz::protocol {
namespace {

constexpr std::size_t kV2Header = 16;
constexpr std::size_t kV3Header = 4;
constexpr std::size_t kGatewayHeader = 16;

std::optional<AudioPacket> fail(std::string* error, std::string text) {
  if (error) *error = std::move(text);
  return std::nullopt;
}

std::string too_short(std::string_view what, std::size_t size, std::size_t header) {
  return std::string(what) + " frame: " + std::to_string(size) + " bytes, shorter than the " +
         std::to_string(header) + "-byte header";
}

std::optional<AudioPacket> check_payload(std::string_view what, std::string_view frame,
                                         std::size_t header, std::size_t payload_size,
                                         std::uint32_t timestamp, std::string* error) {
  const std::size_t rest = frame.size() - header;
  if (payload_size > rest) {
    return fail(error, std::string(what) + " frame: payload_size " + std::to_string(payload_size) +
                           " exceeds the " + std::to_string(rest) + " bytes after the header");
  }
  if (payload_size < rest) {
    return fail(error, std::string(what) + " frame: " + std::to_string(rest - payload_size) +
                           " trailing bytes after payload_size " + std::to_string(payload_size));
  }
  return AudioPacket{frame.substr(header), timestamp};
}

void require_u16(std::string_view what, std::string_view opus) {
  if (opus.size() > 0xFFFF) {
    throw std::invalid_argument(std::string(what) + " frame: payload of " +
                                std::to_string(opus.size()) + " bytes does not fit 16 bits");
  }
}

}  // namespace

Framing framing_for_version(int protocol_version) {
  switch (protocol_version) {
    case 2: return Framing::v2;
    case 3: return Framing::v3;
    default: return Framing::v1;
  }
}

std::string_view to_string(Framing f) {
  switch (f) {
    case Framing::v1: return "v1";
    case Framing::v2: return "v2";
    case Framing::v3: return "v3";
    case Framing::mqtt_gateway: return "mqtt_gateway";
  }
  return "unknown";
}

std::optional<AudioPacket> decode_audio_frame(Framing f, std::string_view frame, std::string* error) {
  switch (f) {
    case Framing::v1:
      return AudioPacket{frame, 0};
    case Framing::v2:
      // version and type are ignored, as the firmware does: every binary frame is audio.
      if (frame.size() < kV2Header) return fail(error, too_short("v2", frame.size(), kV2Header));
      return check_payload("v2", frame, kV2Header, be::u32(frame, 12), be::u32(frame, 8), error);
    case Framing::v3:
      if (frame.size() < kV3Header) return fail(error, too_short("v3", frame.size(), kV3Header));
      return check_payload("v3", frame, kV3Header, be::u16(frame, 2), 0, error);
    case Framing::mqtt_gateway:
      if (frame.size() < kGatewayHeader) {
        return fail(error, too_short("mqtt_gateway", frame.size(), kGatewayHeader));
      }
      return AudioPacket{frame.substr(kGatewayHeader), be::u32(frame, 8)};
  }
  return fail(error, "unknown framing");
}

std::string encode_audio_frame(Framing f, std::string_view opus, std::uint32_t timestamp,
                               std::uint32_t sequence) {
  std::string out;
  switch (f) {
    case Framing::v1:
      out.assign(opus);
      return out;
    case Framing::v2:
      if (opus.size() > 0xFFFFFFFFu) throw std::invalid_argument("v2 frame: payload too large");
      out.reserve(kV2Header + opus.size());
      be::put_u16(out, 2);
      be::put_u16(out, 0);
      be::put_u32(out, 0);
      be::put_u32(out, timestamp);
      be::put_u32(out, std::uint32_t(opus.size()));
      break;
    case Framing::v3:
      require_u16("v3", opus);
      out.reserve(kV3Header + opus.size());
      out += '\0';
      out += '\0';
      be::put_u16(out, std::uint16_t(opus.size()));
      break;
    case Framing::mqtt_gateway:
      require_u16("mqtt_gateway", opus);
      out.reserve(kGatewayHeader + opus.size());
      out += char(1);
      out += '\0';
      be::put_u16(out, std::uint16_t(opus.size()));
      be::put_u32(out, sequence);
      be::put_u32(out, timestamp);
      be::put_u32(out, std::uint32_t(opus.size()));
      break;
  }
  out.append(opus);
  return out;
}

}  // namespace xz::protocol
