#pragma once
// The system prompt as the reference's prompt_template renders it: the configured
// prompt inside the template, with the date, weekday and lunar date, the city of the
// device's IP, that city's weather and the context providers' data. The slow parts are
// looked up once per connection, each with a timeout, and cached (address per IP,
// weather per city for 8 h, the facts per device); a reply never waits for them longer
// than `wait` and is built without what has not arrived (it is there from the next one).
// Shared by every session and loop.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/bounded_cache.h"
#include "core/config.h"
#include "core/log.h"
#include "pipeline/context_providers.h"
#include "pipeline/ip_location.h"
#include "pipeline/prompt_template.h"

namespace xz::net {
class HttpClient;
}
namespace xz::tools::builtin {
class GetWeather;
}

namespace xz::pipeline {

struct PromptContextSettings {
  IpLocationSettings location;
  std::chrono::seconds weather_ttl{8 * 3600};
  std::chrono::milliseconds wait{1500};
  std::vector<ContextProviderSpec> providers;
  ContextFetchOptions context;
  std::size_t device_cache_entries = 1024;
  std::chrono::seconds device_cache_ttl{24 * 3600};

  // prompt_context.* and context_providers; throws core::ConfigError naming the keys.
  static PromptContextSettings from_config(const core::Config& cfg);
};

// The template prompt_template names, read and parsed: nullptr when it is "" (the
// prompt is then used as it is). A relative path is looked for in the data directory,
// the working directory and ./config/; the reference's name agent-base-prompt.txt falls
// back to the copy of config/agent-base-prompt.txt built into the binary. Throws
// core::ConfigError for a missing, unreadable, oversized or broken file.
std::shared_ptr<const PromptTemplate> load_prompt_template(const core::Config& cfg);

class PromptContext;

// The prompt context start-up builds: nullptr when `tmpl` is null. Its weather is
// get_weather's code with plugins.get_weather's settings, cached weather_cache_hours.
// `locator` is the server's address lookup, shared with the tools; null: one of its own.
std::unique_ptr<PromptContext> make_prompt_context(const core::Config& cfg, PromptContextSettings settings,
                                                   std::shared_ptr<const PromptTemplate> tmpl,
                                                   std::shared_ptr<net::HttpClient> http,
                                                   std::shared_ptr<IpLocator> locator = nullptr);

// What the lookups found for one device's connection.
struct PromptFacts {
  std::string local_address;
  std::string weather_info;
  std::string dynamic_context;
};

// Whose prompt: one device's connection.
struct PromptSubject {
  std::string device_id;
  std::string client_id;
  std::string client_ip;
  // This device's context providers (the manager's per-agent list); nullopt = the configured ones.
  std::optional<std::vector<ContextProviderSpec>> providers;
};

// What changes per reply.
struct PromptInputs {
  std::string base_prompt;  // the configured prompt, or the role change_role set
  std::string device_id;
  std::string language;
  bool emoji_enabled = true;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  double utc_offset_hours = 8;
};

class PromptContext {
 public:
  // `weather` may be null (no weather in the prompt); `locator` null: one of its own
  // with settings.location.
  PromptContext(PromptContextSettings settings, std::shared_ptr<const PromptTemplate> tmpl,
                std::shared_ptr<net::HttpClient> http, std::shared_ptr<tools::builtin::GetWeather> weather,
                std::shared_ptr<IpLocator> locator = nullptr);
  ~PromptContext();

  const PromptContextSettings& settings() const { return settings_; }

  // What is known without waiting: the facts last gathered for the device, else what
  // the address and weather caches hold now.
  PromptFacts known_facts(const PromptSubject& subject);
  // Looks everything up (each with its own timeout) and remembers it for the device.
  // Failures are logged and leave their part empty; only cancellation throws.
  boost::asio::awaitable<PromptFacts> gather(PromptSubject subject, core::SessionLog log);
  // The template rendered with `facts` and `inputs`: cheap, done for every reply.
  std::string render(const PromptFacts& facts, const PromptInputs& inputs) const;

 private:
  boost::asio::awaitable<std::pair<std::string, std::string>> place_and_weather(std::string ip,
                                                                               core::SessionLog log);

  PromptContextSettings settings_;
  std::shared_ptr<const PromptTemplate> template_;
  std::shared_ptr<net::HttpClient> http_;
  std::shared_ptr<tools::builtin::GetWeather> weather_;
  std::shared_ptr<IpLocator> locator_;
  std::mutex mutex_;
  core::BoundedCache<std::string, PromptFacts> devices_;
};

// The values the template sees besides the facts: current_time (HH:MM), today_date,
// today_weekday (星期一 ... as the reference), lunar_date (甲辰年正月初一), emojiList, ...
TemplateValues prompt_values(const PromptFacts& facts, const PromptInputs& inputs);

}  // namespace xz::pipeline
