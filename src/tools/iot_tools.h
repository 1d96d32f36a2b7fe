#pragma once
// Legacy IoT "things" (firmware before 1.8, device-protocol.md §6) as tools: the
// device's descriptors become getters for properties (answered from the states the
// device reports) and methods (sent as `iot` commands). One per session, bounded: a
// device describing thousands of things, or huge ones, keeps a capped number of each.
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/tool.h"

namespace xz::tools {

struct IotLimits {
  std::size_t max_things = 32;
  std::size_t max_tools = 64;          // getters and methods, all things together
  std::size_t max_thing_bytes = 8192;  // a thing's descriptor JSON plus its reported values
};

class IotThings {
 public:
  // Sends {"type":"iot","commands":[...]} to the device.
  using SendCommands = std::function<void(nlohmann::json commands)>;
  explicit IotThings(SendCommands send, IotLimits limits = {}) : send_(std::move(send)), limits_(limits) {}

  // A descriptors message: replaces the things with these names. Returns false (and
  // keeps the rest) when an entry is malformed, or the first time one is over the
  // limits in this session (so that is logged once); `error` says which.
  bool add_descriptors(const nlohmann::json& descriptors, std::string* error);
  // A states message: updates cached property values (type-checked; a value that would
  // take its thing over max_thing_bytes is ignored).
  void update_states(const nlohmann::json& states);
  // Getter and method tools for everything described so far, max_tools at most. They
  // refer to this object, which must outlive them (both belong to one session).
  std::vector<ToolPtr> tools();
  std::size_t thing_count() const { return things_.size(); }

  // For tools: the cached value ("" when unknown) and the command sender.
  std::optional<nlohmann::json> value(const std::string& thing, const std::string& property) const;
  void send(const std::string& thing, const std::string& method, nlohmann::json parameters) const;

 private:
  struct Property {
    std::string description, type;
    std::optional<nlohmann::json> value;
    std::size_t value_bytes = 0;
  };
  struct Method {
    std::string description;
    nlohmann::json parameters;  // name -> {description, type}
  };
  struct Thing {
    std::string description;
    std::map<std::string, Property> properties;
    std::map<std::string, Method> methods;
    std::size_t bytes = 0;  // descriptor + values, against max_thing_bytes
  };
  SendCommands send_;
  IotLimits limits_;
  std::map<std::string, Thing> things_;
  bool over_limits_reported_ = false;
};

}  // namespace xz::tools
