#include "apps/config_source.h"

#include "core/default_config.h"
#include "memory/memory.h"
#include "pipeline/conversation_settings.h"
#include "providers/registry.h"

namespace xz::apps {

core::ConfigSource server_config_source() {
  core::ConfigSource src;
  src.defaults_yaml = std::string(core::default_config_yaml());
  src.known_types = providers::known_types();
  src.known_types["Memory"] = memory::memory_types();
  src.refused_types["Memory.powermem"] = memory::powermem_reason();
  src.known_types["Intent"] = pipeline::intent_types();
  src.extra_engine_keys = providers::extra_engine_keys();
  return src;
}

}  // namespace xz::apps
