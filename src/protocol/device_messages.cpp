#include "protocol/device_messages.h"

#include <array>
#include <cmath>
#include <limits>

namespace xz::protocol {
namespace {

using Json = nlohmann::json;

// Thrown inside the parser only; parse_device_message turns it into a MessageError.
struct Invalid {
  std::string reason;
};

// A JSON string, quoted and cut short so error texts stay bounded.
std::string quoted(const std::string& s) {
  constexpr std::size_t kMax = 40;
  std::string q = Json(s.size() > kMax ? s.substr(0, kMax) : s)
                      .dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > kMax) q.insert(q.size() - 1, "...");
  return q;
}

// Field access with errors that name the field: "<type>.<path>: <problem>".
class Fields {
 public:
  Fields(const Json& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

  // nullptr when absent or null: the firmware treats both as "not sent".
  const Json* find(std::string_view key) const {
    const auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  const Json& require(std::string_view key) const {
    const Json* v = find(key);
    if (!v) fail(key, "missing");
    return *v;
  }
  std::string name(std::string_view key) const { return prefix_ + "." + std::string(key); }

  [[noreturn]] void fail(std::string_view key, std::string_view problem) const {
    throw Invalid{name(key) + ": " + std::string(problem)};
  }

  std::optional<std::string> string(std::string_view key) const {
    const Json* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(key, "expected a string");
    return v->get<std::string>();
  }

  std::optional<int> integer(std::string_view key) const {
    const Json* v = find(key);
    if (!v) return std::nullopt;
    if (v->is_number_integer()) {
      // number_unsigned also reports is_number_integer.
      if (v->is_number_unsigned()) {
        const auto u = v->get<std::uint64_t>();
        if (u <= std::uint64_t(std::numeric_limits<int>::max())) return int(u);
      } else {
        const auto i = v->get<std::int64_t>();
        if (i >= std::numeric_limits<int>::min() && i <= std::numeric_limits<int>::max()) return int(i);
      }
      fail(key, "integer out of range");
    }
    if (v->is_number_float()) {
      const double d = v->get<double>();
      if (std::isfinite(d) && d == std::floor(d) && d >= std::numeric_limits<int>::min() &&
          d <= std::numeric_limits<int>::max()) {
        return int(d);
      }
    }
    fail(key, "expected an integer");
  }

  // true/false, or a number read as its truthiness (cJSON-style senders differ).
  std::optional<bool> flag(std::string_view key) const {
    const Json* v = find(key);
    if (!v) return std::nullopt;
    if (v->is_boolean()) return v->get<bool>();
    if (v->is_number()) return v->get<double>() != 0.0;
    fail(key, "expected a boolean");
  }

  template <std::size_t N>
  std::size_t one_of(std::string_view key, const Json& v, const std::array<std::string_view, N>& names,
                     std::string_view listing) const {
    if (!v.is_string()) fail(key, "expected a string");
    const auto& s = v.get_ref<const std::string&>();
    for (std::size_t i = 0; i < N; ++i) {
      if (s == names[i]) return i;
    }
    fail(key, "expected one of " + std::string(listing) + ", got " + quoted(s));
  }

  const Json* object(std::string_view key) const {
    const Json* v = find(key);
    if (v && !v->is_object()) fail(key, "expected an object");
    return v;
  }

  Json array_or_null(std::string_view key) const {
    const Json* v = find(key);
    if (!v) return nullptr;
    if (!v->is_array()) fail(key, "expected an array");
    return *v;
  }

 private:
  const Json& obj_;
  std::string prefix_;
};

constexpr std::array<std::string_view, 3> kStates{"start", "stop", "detect"};
constexpr std::array<std::string_view, 3> kModes{"auto", "manual", "realtime"};

AudioParams parse_audio_params(const Json& obj) {
  const Fields f(obj, "hello.audio_params");
  AudioParams p;
  if (auto v = f.string("format")) p.format = *v;
  if (auto v = f.integer("sample_rate")) {
    if (*v < 8000 || *v > 48000) f.fail("sample_rate", "expected 8000..48000, got " + std::to_string(*v));
    p.sample_rate = *v;
  }
  if (auto v = f.integer("channels")) {
    if (*v < 1 || *v > 2) f.fail("channels", "expected 1 or 2, got " + std::to_string(*v));
    p.channels = *v;
  }
  if (auto v = f.integer("frame_duration")) {
    if (*v != 20 && *v != 40 && *v != 60 && *v != 120) {
      f.fail("frame_duration", "expected one of 20, 40, 60, 120, got " + std::to_string(*v));
    }
    p.frame_duration = *v;
  }
  return p;
}

HelloMsg parse_hello(const Json& obj) {
  const Fields f(obj, "hello");
  HelloMsg m;
  if (auto v = f.integer("version")) m.version = *v;
  if (auto v = f.string("transport")) m.transport = *v;
  if (const Json* features = f.object("features")) {
    const Fields ff(*features, "hello.features");
    if (auto v = ff.flag("mcp")) m.features.mcp = *v;
    if (auto v = ff.flag("aec")) m.features.aec = *v;
    if (auto v = ff.flag("glyph_push")) m.features.glyph_push = *v;
    if (auto v = ff.flag("emoji")) m.features.emoji = *v;
  }
  if (const Json* params = f.object("audio_params")) m.audio_params = parse_audio_params(*params);
  return m;
}

ListenMsg parse_listen(const Json& obj) {
  const Fields f(obj, "listen");
  ListenMsg m{};
  m.state = ListenState(f.one_of("state", f.require("state"), kStates, "start, stop, detect"));
  if (const Json* mode = f.find("mode")) {
    m.mode = ListenMode(f.one_of("mode", *mode, kModes, "auto, manual, realtime"));
  }
  if (m.state == ListenState::detect) m.text = f.string("text");
  return m;
}

AbortMsg parse_abort(const Json& obj) {
  // The reason is informational only; a strange one must not cost the abort.
  AbortMsg m;
  if (const auto it = obj.find("reason"); it != obj.end() && it->is_string()) m.reason = it->get<std::string>();
  return m;
}

McpMsg parse_mcp(const Json& obj) {
  const Fields f(obj, "mcp");
  const Json& payload = f.require("payload");
  if (!payload.is_object()) f.fail("payload", "expected an object");
  return McpMsg{payload};
}

IotMsg parse_iot(const Json& obj) {
  const Fields f(obj, "iot");
  IotMsg m;
  m.descriptors = f.array_or_null("descriptors");
  m.states = f.array_or_null("states");
  if (auto v = f.flag("update")) m.update = *v;
  return m;
}

// The manager-api's own connection: {"type":"server","action":"update_config"|"restart",
// "content":{"secret":"<server.secret>"}}.
ServerMsg parse_server(const Json& obj) {
  const Fields f(obj, "server");
  ServerMsg m;
  m.action = f.string("action").value_or("");
  if (m.action.empty()) f.fail("action", "missing");
  if (const Json* content = f.find("content")) {
    if (!content->is_object()) f.fail("content", "expected an object");
    const Fields c(*content, "server.content");
    m.secret = c.string("secret").value_or("");
  }
  return m;
}

GoodbyeMsg parse_goodbye(const Json& obj) {
  GoodbyeMsg m;
  if (const auto it = obj.find("session_id"); it != obj.end() && it->is_string()) {
    m.session_id = it->get<std::string>();
  }
  return m;
}

}  // namespace

std::variant<DeviceMessage, MessageError> parse_device_message(std::string_view text) {
  try {
    const Json doc = parse_json_text(text, kMaxJsonDepth);
    if (doc.is_discarded()) return MessageError{"", json_text_fault(text, kMaxJsonDepth)};
    if (!doc.is_object()) return MessageError{"", "expected a JSON object"};
    const auto type_it = doc.find("type");
    if (type_it == doc.end() || type_it->is_null()) return MessageError{"", "type: missing"};
    if (!type_it->is_string()) return MessageError{"", "type: expected a string"};
    const std::string type = type_it->get<std::string>();
    try {
      if (type == "hello") return DeviceMessage{parse_hello(doc)};
      if (type == "listen") return DeviceMessage{parse_listen(doc)};
      if (type == "abort") return DeviceMessage{parse_abort(doc)};
      if (type == "mcp") return DeviceMessage{parse_mcp(doc)};
      if (type == "iot") return DeviceMessage{parse_iot(doc)};
      if (type == "ping") return DeviceMessage{PingMsg{}};
      if (type == "goodbye") return DeviceMessage{parse_goodbye(doc)};
      if (type == "server") return DeviceMessage{parse_server(doc)};
    } catch (Invalid& e) {
      return MessageError{type, std::move(e.reason)};
    }
    return MessageError{"", "unknown type " + quoted(type)};
  } catch (const std::exception& e) {
    return MessageError{"", std::string("cannot parse message: ") + e.what()};
  }
}

std::string_view to_string(ListenMode m) {
  switch (m) {
    case ListenMode::auto_mode: return "auto";
    case ListenMode::manual: return "manual";
    case ListenMode::realtime: return "realtime";
  }
  return "auto";
}

std::string_view to_string(ListenState s) {
  switch (s) {
    case ListenState::start: return "start";
    case ListenState::stop: return "stop";
    case ListenState::detect: return "detect";
  }
  return "start";
}

}  // namespace xz::protocol
