#pragma once
// Legacy IoT "things" (firmware before 1.8, device-protocol.md §6) as tools: the
// device's descriptors become getters for properties (answered from the states the
// device reports) and methods (sent as `iot` commands). One per session.
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/tool.h"

namespace xz::tools {

class IotThings {
 public:
  // Sends {"type":"iot","commands":[...]} to the device.
  using SendCommands = std::function<void(nlohmann::json commands)>;
  explicit IotThings(SendCommands send) : send_(std::move(send)) {}

  // A descriptors message: replaces the things with these names. Returns false (and
  // keeps the rest) when an entry is malformed; `error` says which.
  bool add_descriptors(const nlohmann::json& descriptors, std::string* error);
  // A states message: updates cached property values (type-checked).
  void update_states(const nlohmann::json& states);
  // Getter and method tools for everything described so far. They refer to this
  // object, which must outlive them (both belong to one session).
  std::vector<ToolPtr> tools();

  // For tools: the cached value ("" when unknown) and the command sender.
  std::optional<nlohmann::json> value(const std::string& thing, const std::string& property) const;
  void send(const std::string& thing, const std::string& method, nlohmann::json parameters) const;

 private:
  struct Property {
    std::string description, type;
    std::optional<nlohmann::json> value;
  };
  struct Method {
    std::string description;
    nlohmann::json parameters;  // name -> {description, type}
  };
  struct Thing {
    std::string description;
    std::map<std::string, Property> properties;
    std::map<std::string, Method> methods;
  };
  SendCommands send_;
  std::map<std::string, Thing> things_;
};

}  // namespace xz::tools
