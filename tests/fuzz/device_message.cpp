// A device's JSON text message (protocol/device_messages): hello, listen, abort, mcp,
// iot, ping, goodbye, or anything else a device may send. Never throws; an error names a
// reason; what parses has the types the session relies on.
#include "fuzz/fuzz_check.h"
#include "protocol/device_messages.h"

using namespace xz::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = parse_device_message(xz::fuzz::as_text(data, size));
  if (const auto* err = std::get_if<MessageError>(&parsed)) {
    FUZZ_CHECK(!err->reason.empty());
    return 0;
  }
  const auto& msg = std::get<DeviceMessage>(parsed);
  if (const auto* hello = std::get_if<HelloMsg>(&msg)) {
    if (hello->audio_params) (void)hello->audio_params->format.size();
  } else if (const auto* listen = std::get_if<ListenMsg>(&msg)) {
    (void)to_string(listen->state);
    if (listen->mode) (void)to_string(*listen->mode);
  } else if (const auto* mcp = std::get_if<McpMsg>(&msg)) {
    FUZZ_CHECK(mcp->payload.is_object());
    (void)mcp->payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else if (const auto* iot = std::get_if<IotMsg>(&msg)) {
    FUZZ_CHECK(iot->descriptors.is_null() || iot->descriptors.is_array());
    FUZZ_CHECK(iot->states.is_null() || iot->states.is_array());
  }
  return 0;
}
