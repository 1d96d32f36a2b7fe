// Legacy IoT descriptors and states from a device (tools/iot_tools) after the device
// message parser: whatever the JSON holds, the things become tools without a throw, and
// every tool has a name and an object schema.
#include "fuzz/fuzz_check.h"
#include "protocol/device_messages.h"
#include "tools/iot_tools.h"

using namespace xz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = protocol::parse_device_message(fuzz::as_text(data, size));
  const auto* msg = std::get_if<protocol::DeviceMessage>(&parsed);
  const auto* iot = msg ? std::get_if<protocol::IotMsg>(msg) : nullptr;
  if (!iot) return 0;
  tools::IotThings things([](nlohmann::json) {});
  std::string error;
  if (!iot->descriptors.is_null() && !things.add_descriptors(iot->descriptors, &error)) FUZZ_CHECK(!error.empty());
  if (!iot->states.is_null()) things.update_states(iot->states);
  for (const auto& tool : things.tools()) {
    const auto& schema = tool->schema();
    FUZZ_CHECK(!schema.name.empty());
    FUZZ_CHECK(schema.parameters.is_object());
    (void)schema.parameters.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
