#include "pipeline/prompt_context.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/default_config.h"
#include "pipeline/emotion.h"
#include "tools/builtin/get_weather.h"
#include "tools/builtin/lunar_calendar.h"
#include "tools/builtin/web_api.h"

namespace xz::pipeline {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::string_view kBuiltinTemplateName = "agent-base-prompt.txt";
constexpr std::uintmax_t kMaxTemplateBytes = 256 * 1024;

std::chrono::milliseconds seconds(const core::Config& cfg, const char* key, double fallback) {
  return std::chrono::milliseconds(static_cast<long long>(cfg.get<double>(key, fallback) * 1000));
}

// Names the renderer fills (prompt_values) and the reference's template may use.
const std::set<std::string>& filled_names() {
  static const std::set<std::string> names = {
      "base_prompt", "current_time", "today_date",   "today_weekday", "lunar_date",     "local_address",
      "weather_info", "emojiList",   "device_id",    "language",      "emoji_enabled", "dynamic_context"};
  return names;
}

std::string read_file(const std::filesystem::path& path, std::string& error) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    error = ec.message();
    return {};
  }
  if (size > kMaxTemplateBytes) {
    error = fmt::format("{} bytes; at most {} are read", size, kMaxTemplateBytes);
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) {
    error = "cannot be read";
    return {};
  }
  return text.str();
}

}  // namespace

PromptContextSettings PromptContextSettings::from_config(const core::Config& cfg) {
  PromptContextSettings s;
  std::vector<std::string> problems;
  s.location.url = cfg.str("prompt_context.ip_location_url", s.location.url);
  if (!s.location.url.empty() && s.location.url.rfind("http://", 0) != 0 && s.location.url.rfind("https://", 0) != 0)
    problems.push_back(fmt::format("prompt_context.ip_location_url: expected an http(s) URL or \"\", got \"{}\"",
                                   s.location.url));
  s.location.timeout = seconds(cfg, "prompt_context.ip_location_timeout_seconds", 3.0);
  s.location.cache_entries = cfg.get<std::size_t>("prompt_context.ip_location_cache_entries", 1024);
  s.weather_ttl = std::chrono::seconds(
      static_cast<long long>(cfg.get<double>("prompt_context.weather_cache_hours", 8.0) * 3600));
  s.wait = seconds(cfg, "prompt_context.wait_seconds", 1.5);
  s.context.timeout = seconds(cfg, "prompt_context.context_providers_timeout_seconds", 3.0);
  s.context.max_body_bytes = cfg.get<std::size_t>("prompt_context.context_providers_max_bytes", 64 * 1024);
  s.device_cache_entries = cfg.get<std::size_t>("prompt_context.device_cache_entries", 1024);
  const core::Json* list = cfg.find("context_providers");
  if (list) s.providers = context_providers_from_json(*list, problems);
  if (!problems.empty()) throw core::ConfigError(std::move(problems));
  return s;
}

std::shared_ptr<const PromptTemplate> load_prompt_template(const core::Config& cfg) {
  const std::string name = cfg.str("prompt_template");
  if (name.empty()) return nullptr;
  namespace fs = std::filesystem;
  const fs::path path(name);
  std::vector<fs::path> candidates;
  if (path.is_absolute()) {
    candidates.push_back(path);
  } else {
    candidates.push_back(fs::path(cfg.str("log.data_dir", "data")) / path);
    candidates.push_back(path);
    candidates.push_back(fs::path("config") / path);
  }
  std::string text;
  std::string origin;
  for (const auto& c : candidates) {
    std::error_code ec;
    if (!fs::is_regular_file(c, ec)) continue;
    std::string error;
    text = read_file(c, error);
    if (!error.empty()) throw core::ConfigError({fmt::format("prompt_template: {}: {}", c.string(), error)});
    origin = c.string();
    break;
  }
  if (origin.empty()) {
    if (path.filename() == kBuiltinTemplateName && !path.has_parent_path()) {
      text = std::string(core::default_prompt_template());
      origin = "the built-in agent-base-prompt.txt";
    } else {
      std::string looked;
      for (const auto& c : candidates) looked += (looked.empty() ? "" : ", ") + c.string();
      throw core::ConfigError({fmt::format("prompt_template: \"{}\" not found (looked for {}); set it to \"\" to "
                                           "use the prompt without a template",
                                           name, looked)});
    }
  }
  try {
    auto tmpl = std::make_shared<const PromptTemplate>(PromptTemplate::parse(text));
    for (const auto& n : tmpl->names())
      if (!filled_names().contains(n))
        spdlog::warn("prompt_template {}: nothing fills {{{{{}}}}}; it renders as empty text", origin, n);
    spdlog::debug("prompt_template: {}", origin);
    return tmpl;
  } catch (const PromptTemplateError& e) {
    throw core::ConfigError({fmt::format("prompt_template: {}: {}", origin, e.what())});
  }
}

TemplateValues prompt_values(const PromptFacts& facts, const PromptInputs& in) {
  using namespace tools::builtin;
  const LocalDateTime local = local_date_time(in.now, in.utc_offset_hours);
  TemplateValues v;
  v["base_prompt"] = in.base_prompt;
  v["current_time"] = fmt::format("{:02}:{:02}", local.hour, local.minute);
  v["today_date"] = format_iso_date(local.date);
  v["today_weekday"] = weekday_zh(weekday(local.date));
  auto lunar = to_lunar(local.date);
  v["lunar_date"] = lunar ? lunar_date_text(*lunar) : std::string();
  v["local_address"] = facts.local_address;
  v["weather_info"] = facts.weather_info;
  v["dynamic_context"] = facts.dynamic_context;
  std::vector<std::string> emoji;
  for (const auto& e : emotion_table()) emoji.emplace_back(e.emoji);
  v["emojiList"] = std::move(emoji);
  v["device_id"] = in.device_id;
  v["language"] = in.language;
  v["emoji_enabled"] = in.emoji_enabled;
  return v;
}

std::unique_ptr<PromptContext> make_prompt_context(const core::Config& cfg, PromptContextSettings settings,
                                                   std::shared_ptr<const PromptTemplate> tmpl,
                                                   std::shared_ptr<net::HttpClient> http,
                                                   std::shared_ptr<IpLocator> locator) {
  if (!tmpl) return nullptr;
  std::vector<std::string> problems;
  auto weather_settings = tools::builtin::WeatherSettings::from(tools::builtin::PluginConfig(cfg, "get_weather", problems));
  std::shared_ptr<tools::builtin::GetWeather> weather;
  if (problems.empty()) {
    weather_settings.cache_ttl = settings.weather_ttl;
    weather = std::make_shared<tools::builtin::GetWeather>(std::move(weather_settings), http);
  } else {
    spdlog::warn("prompt_template: no weather in the prompt: {}", problems.front());
  }
  return std::make_unique<PromptContext>(std::move(settings), std::move(tmpl), std::move(http), std::move(weather),
                                         std::move(locator));
}

PromptContext::PromptContext(PromptContextSettings settings, std::shared_ptr<const PromptTemplate> tmpl,
                             std::shared_ptr<net::HttpClient> http, std::shared_ptr<tools::builtin::GetWeather> weather,
                             std::shared_ptr<IpLocator> locator)
    : settings_(std::move(settings)),
      template_(std::move(tmpl)),
      http_(std::move(http)),
      weather_(std::move(weather)),
      locator_(locator ? std::move(locator) : std::make_shared<IpLocator>(settings_.location, http_)),
      devices_(settings_.device_cache_entries) {}

PromptContext::~PromptContext() = default;

PromptFacts PromptContext::known_facts(const PromptSubject& subject) {
  {
    std::lock_guard lock(mutex_);
    if (auto hit = devices_.get(subject.device_id, std::chrono::steady_clock::now())) return *hit;
  }
  PromptFacts f;
  f.local_address = locator_->cached(subject.client_ip).value_or("");
  if (weather_ && !f.local_address.empty())
    f.weather_info = weather_->cached_report(f.local_address, weather_->settings().default_lang).value_or("");
  return f;
}

asio::awaitable<std::pair<std::string, std::string>> PromptContext::place_and_weather(std::string ip,
                                                                                      core::SessionLog log) {
  std::string error;
  std::string city = co_await locator_->locate(ip, &error);
  if (!error.empty()) log.warn("prompt: no city for {}: {}", ip, error);
  std::string weather;
  if (weather_ && !city.empty()) {
    try {
      weather = (co_await weather_->report(city, weather_->settings().default_lang)).value_or("");
    } catch (const tools::builtin::WebApiError& e) {
      log.warn("prompt: no weather for {}: {}", city, e.what());
    }
  }
  co_return std::make_pair(std::move(city), std::move(weather));
}

asio::awaitable<PromptFacts> PromptContext::gather(PromptSubject subject, core::SessionLog log) {
  std::vector<ContextProviderSpec> providers = subject.providers ? *subject.providers : settings_.providers;
  auto [place, context] = co_await (
      place_and_weather(subject.client_ip, log) &&
      fetch_dynamic_context(*http_, std::move(providers), subject.device_id, subject.client_id, settings_.context, log));
  PromptFacts f;
  f.local_address = std::move(place.first);
  f.weather_info = std::move(place.second);
  f.dynamic_context = std::move(context);
  {
    std::lock_guard lock(mutex_);
    devices_.put(subject.device_id, f, std::chrono::steady_clock::now() + settings_.device_cache_ttl);
  }
  co_return f;
}

std::string PromptContext::render(const PromptFacts& facts, const PromptInputs& inputs) const {
  if (!template_) return inputs.base_prompt;
  return template_->render(prompt_values(facts, inputs));
}

}  // namespace xz::pipeline
