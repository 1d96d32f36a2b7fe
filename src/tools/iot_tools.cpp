#include "tools/iot_tools.h"

#include <cctype>

namespace xz::tools {

using Json = nlohmann::json;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string json_type(const std::string& iot_type) {
  if (iot_type == "boolean") return "boolean";
  if (iot_type == "string") return "string";
  return "number";
}

bool type_matches(const std::string& iot_type, const Json& v) {
  if (iot_type == "boolean") return v.is_boolean();
  if (iot_type == "string") return v.is_string();
  return v.is_number();
}

// A string member of `obj`, or `fallback` when it is absent or not a string: a device
// (or the LLM) may put anything anywhere, and nlohmann's value() throws on a wrong type.
std::string text_member(const Json& obj, const char* key, std::string fallback = {}) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::string value_text(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// "{value}" / "{name}" placeholders in the LLM's own confirmation text.
std::string fill(std::string text, const Json& values) {
  for (auto it = values.begin(); it != values.end(); ++it) {
    std::string key = "{" + it.key() + "}";
    for (std::size_t p = text.find(key); p != std::string::npos; p = text.find(key, p))
      text.replace(p, key.size(), value_text(*it));
  }
  return text;
}

const Json kResponseParams = {
    {"response_success", {{"type", "string"}, {"description", "What to say when it worked; may use {value} or the parameter names in braces"}}},
    {"response_failure", {{"type", "string"}, {"description", "What to say when it failed"}}}};

class IotGetter : public Tool {
 public:
  IotGetter(const IotThings& things, std::string thing, std::string prop, const std::string& description)
      : things_(things), thing_(std::move(thing)), prop_(std::move(prop)) {
    schema_.name = lower("get_" + thing_ + "_" + prop_);
    schema_.description = "Get the " + prop_ + " of " + thing_ + ": " + description;
    schema_.parameters = {{"type", "object"}, {"properties", kResponseParams}};
  }
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(Json args, SessionActions&) override {
    auto v = things_.value(thing_, prop_);
    if (!v) co_return ToolResult{Action::not_found, "unknown", text_member(args, "response_failure", "I don't know yet.")};
    std::string ok = text_member(args, "response_success");
    if (ok.empty()) co_return ToolResult::llm(prop_ + " of " + thing_ + " is " + value_text(*v));
    co_return ToolResult::speak(fill(ok, Json{{"value", *v}}));
  }

 private:
  const IotThings& things_;
  std::string thing_, prop_;
  providers::ToolSchema schema_;
};

class IotMethod : public Tool {
 public:
  IotMethod(const IotThings& things, std::string thing, std::string method, const std::string& description,
            const Json& params)
      : things_(things), thing_(std::move(thing)), method_(std::move(method)) {
    schema_.name = lower(thing_ + "_" + method_);
    schema_.description = description;
    Json props = kResponseParams;
    Json required = Json::array();
    if (params.is_object()) {
      for (auto it = params.begin(); it != params.end(); ++it) {
        props[it.key()] = {{"type", json_type(text_member(*it, "type", "number"))},
                           {"description", text_member(*it, "description")}};
        required.push_back(it.key());
        param_names_.push_back(it.key());
      }
    }
    schema_.parameters = {{"type", "object"}, {"properties", props}, {"required", required}};
  }
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(Json args, SessionActions&) override {
    Json parameters = Json::object();
    for (const auto& p : param_names_) {
      if (!args.contains(p)) co_return ToolResult::llm("error: missing parameter " + p);
      parameters[p] = args[p];
    }
    things_.send(thing_, method_, parameters);
    std::string ok = text_member(args, "response_success");
    co_return ToolResult::llm(ok.empty() ? "done" : fill(ok, parameters));
  }

 private:
  const IotThings& things_;
  std::string thing_, method_;
  std::vector<std::string> param_names_;
  providers::ToolSchema schema_;
};

}  // namespace

bool IotThings::add_descriptors(const Json& descriptors, std::string* error) {
  if (!descriptors.is_array()) {
    *error = "descriptors: expected an array";
    return false;
  }
  bool ok = true;
  std::size_t refused = 0;
  for (const auto& d : descriptors) {
    if (!d.is_object() || !d.contains("name") || !d["name"].is_string()) {
      *error = "descriptors: an entry has no name";
      ok = false;
      continue;
    }
    const std::size_t bytes = d.dump().size();
    const bool known = things_.contains(d["name"].get<std::string>());
    if (bytes > limits_.max_thing_bytes || (!known && things_.size() >= limits_.max_things)) {
      ++refused;
      continue;
    }
    Thing t;
    t.bytes = bytes;
    t.description = text_member(d, "description");
    if (auto p = d.find("properties"); p != d.end() && p->is_object())
      for (auto it = p->begin(); it != p->end(); ++it)
        if (it->is_object())
          t.properties[it.key()] = {text_member(*it, "description"), text_member(*it, "type", "number"), std::nullopt};
    if (auto m = d.find("methods"); m != d.end() && m->is_object())
      for (auto it = m->begin(); it != m->end(); ++it)
        if (it->is_object()) t.methods[it.key()] = {text_member(*it, "description"), it->value("parameters", Json::object())};
    // Keep values already reported for properties that still exist (while they fit).
    if (auto old = things_.find(d["name"].get<std::string>()); old != things_.end())
      for (auto& [name, prop] : t.properties)
        if (auto o = old->second.properties.find(name); o != old->second.properties.end() &&
                                                        t.bytes + o->second.value_bytes <= limits_.max_thing_bytes) {
          prop.value = o->second.value;
          prop.value_bytes = o->second.value_bytes;
          t.bytes += prop.value_bytes;
        }
    things_[d["name"].get<std::string>()] = std::move(t);
  }
  if (refused > 0 && !over_limits_reported_) {
    over_limits_reported_ = true;  // once per session: a device looping on this must not flood the log
    if (!error->empty()) *error += "; ";
    *error += "descriptors: " + std::to_string(refused) + " thing(s) ignored, over the limits (" +
              std::to_string(limits_.max_things) + " things, " + std::to_string(limits_.max_thing_bytes) +
              " bytes each); further ones are ignored silently";
    ok = false;
  }
  return ok;
}

void IotThings::update_states(const Json& states) {
  if (!states.is_array()) return;
  for (const auto& s : states) {
    if (!s.is_object()) continue;
    auto t = things_.find(text_member(s, "name"));
    auto st = s.find("state");
    if (t == things_.end() || st == s.end() || !st->is_object()) continue;
    auto& thing = t->second;
    for (auto it = st->begin(); it != st->end(); ++it) {
      auto p = thing.properties.find(it.key());
      if (p == thing.properties.end() || !type_matches(p->second.type, *it)) continue;
      const std::size_t bytes = it->is_string() ? it->get_ref<const std::string&>().size() : it->dump().size();
      if (thing.bytes - p->second.value_bytes + bytes > limits_.max_thing_bytes) continue;
      thing.bytes = thing.bytes - p->second.value_bytes + bytes;
      p->second.value = *it;
      p->second.value_bytes = bytes;
    }
  }
}

std::optional<Json> IotThings::value(const std::string& thing, const std::string& property) const {
  auto t = things_.find(thing);
  if (t == things_.end()) return std::nullopt;
  auto p = t->second.properties.find(property);
  return p == t->second.properties.end() ? std::nullopt : p->second.value;
}

void IotThings::send(const std::string& thing, const std::string& method, Json parameters) const {
  send_(Json::array({{{"name", thing}, {"method", method}, {"parameters", std::move(parameters)}}}));
}

std::vector<ToolPtr> IotThings::tools() {
  std::vector<ToolPtr> out;
  for (const auto& [name, t] : things_) {
    for (const auto& [prop, p] : t.properties) {
      if (out.size() >= limits_.max_tools) return out;
      out.push_back(std::make_shared<IotGetter>(*this, name, prop, p.description));
    }
    for (const auto& [m, meth] : t.methods) {
      if (out.size() >= limits_.max_tools) return out;
      out.push_back(std::make_shared<IotMethod>(*this, name, m, meth.description, meth.parameters));
    }
  }
  return out;
}

}  // namespace xz::tools
