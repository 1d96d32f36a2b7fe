#include "apps/server.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include "core/fd_limit.h"
#include "core/ip_ranges.h"
#include "core/loop_monitor.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "history/chat_history.h"
#include "history/history_settings.h"
#include "http/admin_routes.h"
#include "http/node_forwarding.h"
#include "http/api_routes.h"
#include "http/auth_routes.h"
#include "http/console_sessions.h"
#include "http/console_settings.h"
#include "http/login_limiter.h"
#include "http/push_routes.h"
#include "http/vision.h"
#include "http/vision_settings.h"
#include "http/health.h"
#include "http/ota_routes.h"
#include "http/ota_settings.h"
#include "http/metrics_route.h"
#include "agents/engine_cache.h"
#include "agents/profile_builder.h"
#include "agents/manager_client.h"
#include "agents/db_profile_source.h"
#include "agents/manager_profile_source.h"
#include "agents/static_profile_source.h"
#include "apps/manager_mode.h"
#include "apps/source_agent_resolver.h"
#include "apps/mqtt_settings.h"
#include "pipeline/activation_conversation.h"
#include "pipeline/conversation.h"
#include "pipeline/idle_device_mcp.h"
#include "providers/registry.h"
#include "memory/memory.h"
#include "net/connection_limiter.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "net/mqtt_server.h"
#include "net/udp_audio_endpoint.h"
#include "net/tls_client.h"
#include "protocol/vision_token.h"
#include "session/activation_gate.h"
#include "session/device_server.h"
#include "session/mqtt_device_server.h"
#include "session/session_registry.h"
#include "session/session_settings.h"
#include "store/accounts.h"
#include "store/auth_key.h"
#include "store/store.h"
#include "tools/builtin/builtin_registry.h"
#include "tools/mcp/mcp_endpoint_client.h"
#include "tools/mcp/mcp_server_settings.h"
#include "tools/mcp/server_mcp_hub.h"
#include "tools/mcp/shared_tool_lists.h"

namespace xz::apps {

namespace {

// Everything start-up builds from the configuration before it listens.
struct BuiltFromConfig {
  pipeline::ProfilePtr profile;  // the config file's agent: every device's, or the fallback
  std::vector<tools::mcp::McpServerSpec> mcp_servers;
  std::shared_ptr<const pipeline::PromptTemplate> prompt_template;  // null: prompt_template is ""
  pipeline::PromptContextSettings prompt_context;
};

// The reference logs the URLs it works out from placeholders; so does this server.
void log_chosen_url(const char* what, const char* key, const core::Config& cfg, const std::string& url) {
  const std::string configured = cfg.str(key);
  if (configured.empty())
    spdlog::info("{}: {} ({} is empty: this host's address)", what, url, key);
  else if (core::is_placeholder(configured))
    spdlog::info("{}: {} ({} holds the placeholder \"{}\": this host's address)", what, url, key, configured);
  else
    spdlog::info("{}: {}", what, url);
}

// Builds every part, collecting every problem before throwing core::ConfigError, so a
// file with several mistakes is fixed in one round.
BuiltFromConfig build_from_config(const core::Config& cfg, agents::ProfileBuilder& builder) {
  BuiltFromConfig b;
  std::vector<std::string> problems;
  try {
    b.profile = builder.build(cfg, "config file");
  } catch (const core::ConfigError& e) {
    problems = e.problems();
  }
  try {
    b.mcp_servers = tools::mcp::load_mcp_server_settings(
        tools::mcp::mcp_server_settings_path(cfg.str("log.data_dir", "data")));
  } catch (const core::ConfigError& e) {
    problems.insert(problems.end(), e.problems().begin(), e.problems().end());
  } catch (const std::exception& e) {
    problems.push_back(fmt::format("server MCP: {}", e.what()));
  }
  try {
    b.prompt_template = pipeline::load_prompt_template(cfg);
    b.prompt_context = pipeline::PromptContextSettings::from_config(cfg);
  } catch (const core::ConfigError& e) {
    problems.insert(problems.end(), e.problems().begin(), e.problems().end());
  } catch (const std::exception& e) {
    problems.push_back(fmt::format("prompt_template: {}", e.what()));
  }
  if (!problems.empty()) throw core::ConfigError(std::move(problems));
  return b;
}

}  // namespace

struct Server::Parts {
  explicit Parts(core::Config c)
      : config(std::move(c)),
        runtime(config.get<std::size_t>("server.io_threads", 0),
                config.get<std::size_t>("server.workers", 0)) {}

  core::Config config;
  // Before the runtime: a session coroutine still suspended when the loops are destroyed
  // leaves the registry as its frame goes, so the registry must outlive them.
  session::SessionRegistry registry;
  core::Runtime runtime;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  session::SessionSettings session_settings = session::SessionSettings::from_config(config);
  core::Metrics metrics;
  std::string data_dir = config.str("log.data_dir", "data");
  std::string auth_key;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::Accounts> accounts;  // console accounts; null when the console is off

  // Engines are built once per distinct configuration and shared by every session.
  providers::ProviderContext provider_ctx{runtime.pool(), config.str("log.data_dir", "data"), &metrics};
  agents::EngineCache engines;
  std::unique_ptr<agents::ProfileBuilder> profile_builder;
  std::unique_ptr<agents::StaticProfileSource> profiles;  // the config file's agent for every device
  // Manager mode (manager-api.url and .secret set): each device's agent from the manager.
  std::unique_ptr<agents::ManagerClient> manager_client;
  std::unique_ptr<agents::ManagerProfileSource> manager_profiles;
  // Without a manager: agents of the database, bound per device (the default for the rest).
  std::unique_ptr<agents::DbProfileSource> db_profiles;
  std::shared_ptr<SourceAgentResolver> db_resolver;
  std::shared_ptr<ManagerMode> manager;
  std::function<void()> restart;  // set by main: restarts the process
  std::shared_ptr<net::HttpClient> tool_http;         // built-in functions' remote APIs
  std::unique_ptr<protocol::VisionTokenCodec> vision_tokens;
  http::VisionSettings vision_settings;
  std::unique_ptr<tools::mcp::ServerMcpHub> server_mcp;
  tools::mcp::SharedToolLists device_tool_lists;
  std::unique_ptr<history::ChatHistory> history;
  std::unique_ptr<pipeline::VoiceMetrics> voice_metrics;
  std::shared_ptr<pipeline::IpLocator> ip_locator;         // device address -> city, for prompts and tools
  std::unique_ptr<pipeline::PromptContext> prompt_context;  // null: no prompt_template
  std::unique_ptr<pipeline::VoiceServices> voice;
  std::shared_ptr<net::ConnectionLimiter> connection_limiter;  // both listeners' caps
  std::unique_ptr<session::DeviceServer> devices;
  // server.mqtt: devices on MQTT + UDP (the handler before the listener that calls it).
  std::unique_ptr<net::UdpAudioEndpoint> udp;
  std::shared_ptr<session::MqttDeviceServer> mqtt_devices;
  std::unique_ptr<net::MqttServer> mqtt;
  std::unique_ptr<net::HttpServer> http;
  session::IdleDeviceFactory idle_devices;  // MCP of MQTT devices between conversations
  std::atomic<bool> stopping{false};
  bool stopped = false;
};

namespace {

std::chrono::milliseconds seconds_key(const core::Config& cfg, const char* key, double fallback) {
  return std::chrono::milliseconds(static_cast<long long>(cfg.get<double>(key, fallback) * 1000));
}

// server.connections: the caps both listeners share. max_total 0 = what the descriptor
// limit leaves after a reserve for everything else the server opens (database, logs,
// outbound LLM/TTS/MCP connections): a tenth of the limit, at least 256.
net::ConnectionLimits connection_limits(const core::Config& cfg, const std::vector<std::string>& trusted_proxies) {
  net::ConnectionLimits limits;
  limits.max_total = cfg.get<std::size_t>("server.connections.max_total", 0);
  if (limits.max_total == 0) {
    const auto fd = core::current_fd_limit();
    limits.max_total = static_cast<std::size_t>(
        core::connection_capacity(fd, std::max<std::uint64_t>(256, fd.soft / 10)));
    if (limits.max_total == 0) limits.max_total = 1;
  }
  limits.max_per_ip = cfg.get<std::size_t>("server.connections.max_per_ip", 128);
  auto exempt = cfg.get<std::vector<std::string>>("server.connections.per_ip_exempt", {"127.0.0.0/8", "::1"});
  exempt.insert(exempt.end(), trusted_proxies.begin(), trusted_proxies.end());
  limits.per_ip_exempt = core::IpRanges(exempt);
  return limits;
}

void start_mqtt(Server::Parts& p, const core::Config& cfg, const std::string& lan_ip, session::SessionDeps deps,
                session::AdmissionPolicy policy);

// Listening beyond loopback without device auth hands every device's identity to
// whoever can reach the port.
void warn_if_exposed(const core::Config& cfg, const std::string& address, std::uint16_t ws_port,
                     std::uint16_t http_port) {
  if (cfg.get<bool>("server.auth.enabled", false)) return;
  auto ip = core::parse_ip(address);
  if (ip && core::unmapped(*ip).is_loopback()) return;
  spdlog::warn(
      "server.auth.enabled is false and the listeners bind {} (beyond this machine): anyone who can reach "
      "ws://<this host>:{}/ can connect as any device, take over its session, read its memory through the "
      "LLM and spend your LLM, TTS and vision quota{}. To fix it, set server.auth.enabled: true (devices get "
      "their token in the OTA answer; list devices that cannot fetch one in server.auth.allowed_devices), or "
      "set server.ip: 127.0.0.1 and put an authenticating reverse proxy in front (listed in "
      "server.trusted_proxies)",
      address, ws_port,
      http_port ? ", and anyone can register devices through OTA on port " + std::to_string(http_port) : "");
}

}  // namespace

Server::Server(core::Config config) : p_(std::make_unique<Parts>(std::move(config))) {}

void Server::check_config(const core::Config& cfg) {
  std::vector<std::string> problems;
  // What the constructor reads.
  try {
    (void)session::SessionSettings::from_config(cfg);
  } catch (const core::ConfigError& e) {
    problems = e.problems();
  }
  try {
    (void)http::ota_settings_from_config(cfg, "check", "127.0.0.1");
    (void)http::console_auth_settings_from_config(cfg);
  } catch (const core::ConfigError& e) {
    problems.insert(problems.end(), e.problems().begin(), e.problems().end());
  }
  // What start() builds, on throwaway resources: a private database in the temporary
  // directory (nothing is written in the data directory), no listeners.
  boost::asio::thread_pool pool(1);
  boost::asio::io_context io;
  const auto scratch = std::filesystem::temp_directory_path() /
                       fmt::format("xiaozhi-check-{}-{}", ::getpid(), std::chrono::steady_clock::now().time_since_epoch().count());
  try {
    providers::ProviderContext ctx{pool, cfg.str("log.data_dir", "data")};
    store::Store store(pool, (scratch / "check.db").string());
    agents::EngineCache engines;
    agents::ProfileBuilder builder({ctx, store, io.get_executor(), nullptr, nullptr}, engines);
    // Dropped at once (the memory before the LLM it uses), before the store.
    (void)build_from_config(cfg, builder);
  } catch (const core::ConfigError& e) {
    problems.insert(problems.end(), e.problems().begin(), e.problems().end());
  }
  pool.join();
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  if (!problems.empty()) throw core::ConfigError(std::move(problems));
}

Server::~Server() { shutdown(std::chrono::milliseconds(0)); }

void Server::set_restart_handler(std::function<void()> restart) { p_->restart = std::move(restart); }

std::uint64_t Server::engines_built() const { return p_->engines.builds(); }

void Server::start() {
  auto& cfg = p_->config;
  p_->runtime.start();
  spdlog::info("runtime: {} event loops, {} workers", p_->runtime.loop_count(),
               p_->runtime.worker_count());
  core::start_loop_monitor(p_->runtime, p_->metrics);
  p_->metrics.gauge_fn("xiaozhi_live_sessions", "Device sessions connected now",
                       [this] { return static_cast<double>(live_sessions()); });
  // The device link of each session (session/device_link.h). An MQTT device between
  // conversations is online without a session.
  for (const char* transport : {"websocket", "mqtt"}) {
    p_->metrics.gauge_fn(
        "xiaozhi_transport_sessions", "Device sessions connected now, by transport",
        [this, transport] { return static_cast<double>(p_->registry.sessions(transport)); },
        fmt::format("transport=\"{}\"", transport));
    p_->metrics.gauge_fn(
        "xiaozhi_online_devices", "Devices online now (in a conversation or idle), by transport",
        [this, transport] { return static_cast<double>(p_->registry.count(transport)); },
        fmt::format("transport=\"{}\"", transport));
  }

  // Manager mode: server-base over the local file before anything is built from it.
  const core::Json local_config = cfg.root();
  std::string server_base_origin;
  if (manager_mode_configured(cfg)) {
    const auto hs = history::HistorySettings::from_config(cfg);
    p_->manager_client = std::make_unique<agents::ManagerClient>(
        hs.manager, cfg.get<std::size_t>("manager-api.max_response_bytes", 2u << 20));
    ServerBase base = fetch_server_base(*p_->manager_client, local_config, p_->data_dir, p_->runtime.loop(0).get_executor());
    server_base_origin = base.origin;
    if (!base.origin.empty()) {
      p_->config = core::Config(std::move(base.config));
      p_->session_settings = session::SessionSettings::from_config(p_->config);
    }
  }

  // State first: the auth key signs tokens, the store remembers devices. With a manager,
  // its secret signs them when no key is set (the reference's order), so the tokens in
  // the manager's OTA answers verify here.
  std::string configured_key = cfg.str("server.auth_key");
  if (p_->manager_client && (configured_key.empty() || configured_key.find("你") != std::string::npos))
    configured_key = p_->manager_client->settings().secret;
  p_->auth_key = store::load_or_create_auth_key(p_->data_dir, configured_key);
  p_->store = std::make_unique<store::Store>(p_->runtime.pool(), store::database_path(p_->data_dir));

  auto t0 = std::chrono::steady_clock::now();
  p_->tool_http = std::make_shared<net::HttpClient>();
  p_->profile_builder = std::make_unique<agents::ProfileBuilder>(
      agents::ProfileBuildResources{p_->provider_ctx, *p_->store, p_->runtime.loop(0).get_executor(), &p_->metrics,
                                    p_->tool_http},
      p_->engines);
  // The same build --check-config runs: what fails here fails there. With a manager, the
  // local file's agent is what a part the manager's configuration cannot build falls back to.
  const core::Config local_cfg(local_config);
  BuiltFromConfig built = build_from_config(p_->manager_client ? local_cfg : cfg, *p_->profile_builder);
  pipeline::ProfilePtr default_profile = built.profile;
  if (p_->manager_client && !server_base_origin.empty())
    default_profile = ManagerMode::build_server_profile(*p_->profile_builder, cfg, built.profile);
  p_->profiles = std::make_unique<agents::StaticProfileSource>(default_profile);
  pipeline::ProfileSource* profile_source = p_->profiles.get();
  if (p_->manager_client) {
    agents::ManagerSourceOptions mo;
    mo.connect_deadline = seconds_key(cfg, "manager-api.connect_timeout", 5.0);
    mo.max_concurrent = std::max<std::size_t>(1, cfg.get<std::size_t>("manager-api.max_concurrent_requests", 16));
    mo.remember_devices = cfg.get<std::size_t>("manager-api.remember_devices", 10000);
    mo.keep_idle = seconds_key(cfg, "manager-api.keep_idle_agent_seconds", 600.0);
    mo.bind_message = cfg.str("server.activation.message", mo.bind_message);
    mo.not_found_message = cfg.str("manager-api.device_not_found_message");
    p_->manager_profiles = std::make_unique<agents::ManagerProfileSource>(*p_->manager_client, *p_->profile_builder,
                                                                          p_->runtime.pool(), std::move(mo));
    p_->manager_profiles->set_base(std::make_shared<const core::Config>(cfg.root()), default_profile);
    profile_source = p_->manager_profiles.get();
    spdlog::info("manager-api: each device's agent comes from {} (server configuration: {})",
                 p_->manager_client->url("/config/agent-models"),
                 server_base_origin.empty() ? std::string("the local file alone") : server_base_origin);
  } else {
    p_->db_profiles = std::make_unique<agents::DbProfileSource>(
        *p_->store, *p_->profile_builder, p_->runtime.pool(), std::make_shared<const core::Config>(cfg.root()),
        default_profile, cfg.get<std::size_t>("agents.max_profiles", 256));
    profile_source = p_->db_profiles.get();
  }
  p_->metrics.gauge_fn("xiaozhi_engines_built_total", "Engines constructed (one per distinct configuration)",
                       [this] { return static_cast<double>(p_->engines.builds()); });
  p_->metrics.gauge_fn("xiaozhi_engines_live", "Engines alive, shared by the profiles that use them",
                       [this] { return static_cast<double>(p_->engines.live()); });
  spdlog::info("engines: VAD {}, ASR {}, LLM {}, TTS {} (loaded in {} ms)", core::selected_provider_type(cfg.root(), "VAD"),
               core::selected_provider_type(cfg.root(), "ASR"), core::selected_provider_type(cfg.root(), "LLM"),
               core::selected_provider_type(cfg.root(), "TTS"),
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  p_->voice_metrics = std::make_unique<pipeline::VoiceMetrics>(p_->metrics);
  // Server-wide: the template and the lookups' caches; an agent's own context providers
  // come with its profile.
  p_->ip_locator = std::make_shared<pipeline::IpLocator>(built.prompt_context.location, p_->tool_http);
  p_->prompt_context = pipeline::make_prompt_context(cfg, std::move(built.prompt_context),
                                                     std::move(built.prompt_template), p_->tool_http, p_->ip_locator);
  std::string history_warning;
  p_->history = std::make_unique<history::ChatHistory>(history::HistorySettings::from_config(cfg, &history_warning),
                                                       *p_->store, p_->runtime.pool(), &p_->metrics);
  if (!history_warning.empty()) spdlog::warn("chat history: {}", history_warning);
  p_->server_mcp = std::make_unique<tools::mcp::ServerMcpHub>(p_->runtime.loop(0).get_executor(),
                                                              std::move(built.mcp_servers));
  if (p_->server_mcp->server_count() > 0) {
    p_->server_mcp->start();
    spdlog::info("server MCP: connecting {} server(s) from {}", p_->server_mcp->server_count(),
                 tools::mcp::mcp_server_settings_path(p_->data_dir));
  }

  // Devices get the vision endpoint and a token for it in MCP initialize.
  p_->vision_tokens = std::make_unique<protocol::VisionTokenCodec>(p_->auth_key);
  const std::string lan_ip = http::detect_lan_ip();
  p_->vision_settings = http::vision_settings_from_config(cfg, lan_ip);
  log_chosen_url("vision explain URL handed to devices", "server.vision_explain", cfg, p_->vision_settings.explain_url);
  auto capabilities = [codec = p_->vision_tokens.get(), settings = &p_->vision_settings](const std::string& device) {
    return nlohmann::json{{"vision",
                           {{"url", settings->explain_url},
                            {"token", http::make_vision_token(*codec, device, settings->token_lifetime)}}}};
  };
  p_->voice = std::make_unique<pipeline::VoiceServices>(pipeline::VoiceServices{
      p_->runtime.pool(), *p_->voice_metrics, p_->server_mcp->server_count() > 0 ? p_->server_mcp.get() : nullptr,
      std::move(capabilities), p_->history.get(), &p_->device_tool_lists, p_->prompt_context.get(),
      profile_source, p_->ip_locator.get()});
  spdlog::info("tools: {} built-in function(s), intent mode {}",
               default_profile->builtin_tools ? default_profile->builtin_tools->size() : 0,
               default_profile->settings->intent);
  // The config file's agent: every device gets the same profile, at no cost per connection.
  session::ConversationFactory make_conversation = [voice = p_->voice.get(),
                                                    profile = default_profile](const session::ConversationContext& ctx) {
    return std::make_unique<pipeline::Conversation>(ctx, *voice, profile);
  };

  if (p_->db_profiles)
    p_->db_resolver = std::make_shared<SourceAgentResolver>(*p_->db_profiles, *p_->voice, default_profile);

  session::AuthPolicy auth;
  auth.enabled = cfg.get<bool>("server.auth.enabled", false);
  for (const auto& d : cfg.get<std::vector<std::string>>("server.auth.allowed_devices", {}))
    auth.allowed_devices.insert(session::normalize_device_id(d));
  auth.key = p_->auth_key;
  auth.expire_seconds = cfg.get<std::int64_t>("server.auth.expire_seconds", 2592000);
  if (auth.expire_seconds <= 0) auth.expire_seconds = 2592000;

  // Unbound devices hear their activation code instead of a conversation.
  session::ActivationGateSettings gate_settings;
  gate_settings.enabled = cfg.get<bool>("server.activation.enabled", false);
  if (gate_settings.enabled && p_->manager_client) {
    // Two binding authorities would tell a device bound in the manager a local code.
    spdlog::warn("server.activation.enabled is ignored with a manager-api: the manager binds devices");
    gate_settings.enabled = false;
  }
  gate_settings.allowed_devices = auth.allowed_devices;
  gate_settings.message = cfg.str("server.activation.message", gate_settings.message);
  gate_settings.code_ttl_seconds =
      std::max<std::int64_t>(60, cfg.get<std::int64_t>("server.activation.code_ttl_seconds", 86400));
  auto gate = std::make_shared<const session::ActivationGate>(*p_->store, gate_settings);
  session::ActivationConversationFactory tell_activation = [voice = p_->voice.get(), profile = default_profile](
                                                               const session::ConversationContext& ctx,
                                                               const session::ActivationPrompt& prompt) {
    pipeline::ActivationVoice v{*profile->settings, *profile->greetings, *profile->tts, voice->pool, voice->metrics,
                                profile};
    return std::make_unique<pipeline::ActivationConversation>(ctx, v, prompt);
  };

  // Both listeners share the connection caps; proxy headers count only from trusted proxies.
  const auto trusted_list = cfg.get<std::vector<std::string>>("server.trusted_proxies", {});
  core::IpRanges trusted_proxies;
  try {
    trusted_proxies = core::IpRanges(trusted_list);
    p_->connection_limiter =
        std::make_shared<net::ConnectionLimiter>(connection_limits(cfg, trusted_list), &p_->metrics);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("configuration: ") + e.what());
  }
  p_->metrics.gauge_fn("xiaozhi_open_connections", "TCP connections open on both listeners",
                       [weak = std::weak_ptr<net::ConnectionLimiter>(p_->connection_limiter)] {
                         auto limiter = weak.lock();
                         return limiter ? static_cast<double>(limiter->open()) : 0.0;
                       });
  const auto& caps = p_->connection_limiter->limits();
  spdlog::info("connections: at most {} open at once, {} per address{} (server.connections)", caps.max_total,
               caps.max_per_ip == 0 ? std::string("any number") : std::to_string(caps.max_per_ip),
               caps.max_per_ip == 0 ? "" : " except exempt addresses");

  if (p_->manager_profiles) {
    p_->manager = std::make_shared<ManagerMode>(ManagerModeDeps{*p_->manager_client, *p_->manager_profiles,
                                                                *p_->profile_builder, p_->runtime.pool(), p_->registry,
                                                                *p_->voice, local_config, built.profile, p_->data_dir,
                                                                p_->restart});
    if (server_base_origin != "manager-api")
      ManagerMode::keep_asking_for_server_base(p_->manager, p_->runtime.loop(0).get_executor());
  }

  const int http_port = cfg.get<int>("server.http_port", 8003);
  const auto handshake_timeout = seconds_key(cfg, "server.handshake_timeout_seconds", 10.0);
  session::DeviceServerOptions dopts;
  dopts.address = cfg.str("server.ip", "0.0.0.0");
  dopts.port = static_cast<std::uint16_t>(cfg.get<int>("server.port", 8000));
  dopts.max_message_bytes = cfg.get<std::size_t>("server.max_ws_message_bytes", 65536);
  dopts.handshake_timeout = handshake_timeout;
  dopts.allowed_origins = cfg.get<std::vector<std::string>>("server.allowed_origins", {});
  dopts.http_port = static_cast<std::uint16_t>(http_port);
  dopts.trusted_proxies = trusted_proxies;
  dopts.limiter = p_->connection_limiter;
  try {
    p_->devices = std::make_unique<session::DeviceServer>(
        p_->runtime, dopts,
        session::SessionDeps{p_->session_settings, p_->registry, make_conversation, p_->manager.get()}, auth, gate,
        tell_activation,
        p_->manager ? std::shared_ptr<session::AgentResolver>(p_->manager)
                    : std::shared_ptr<session::AgentResolver>(p_->db_resolver));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("configuration: ") + e.what());
  }
  p_->devices->start();
  spdlog::info("WebSocket listening on {}:{}", dopts.address, p_->devices->port());
  log_chosen_url("WebSocket URL handed to devices", "server.websocket", cfg,
                 fmt::format("{}", fmt::join(http::websocket_urls_for(cfg.str("server.websocket"), lan_ip,
                                                                   cfg.get<int>("server.port", 8000)),
                                             " ; ")));

  // MQTT devices between conversations: their MCP tools through the device MCP client.
  p_->idle_devices = [voice = p_->voice.get()](const session::IdleDeviceContext& ctx) {
    pipeline::DeviceMcpOptions o;
    if (voice->device_capabilities) o.capabilities = voice->device_capabilities(ctx.identity.device_key);
    return std::unique_ptr<session::IdleDevice>(std::make_unique<pipeline::IdleDeviceMcp>(ctx, std::move(o)));
  };
  start_mqtt(*p_, cfg, lan_ip,
             session::SessionDeps{p_->session_settings, p_->registry, make_conversation, p_->manager.get()},
             session::AdmissionPolicy{gate, tell_activation, p_->manager});

  if (http_port != 0) {
    auto router = std::make_shared<net::HttpRouter>();
    http::add_health_routes(*router, {p_->started, [this] { return live_sessions(); },
                                      [this] { return shutting_down(); }});
    http::add_metrics_route(*router, p_->metrics);
    auto ota_settings = http::ota_settings_from_config(cfg, p_->auth_key, lan_ip);
    auto forwarder = http::node_forwarder_from_config(cfg, ota_settings.mqtt_nodes, cfg.str("server.admin_token"));
    if (ota_settings.mqtt_builtin && ota_settings.mqtt_nodes.several() && !forwarder)
      spdlog::warn("server.mqtt.nodes: push for devices on other nodes needs server.admin_token (the same on every node)");
    http::add_ota_routes(*router, {std::move(ota_settings), *p_->store, p_->runtime.pool()});
    const auto admin_body = cfg.get<std::size_t>("server.max_admin_body_bytes", 64 * 1024);
    // One check for every operator route: the admin token, or a console session.
    const auto console = http::console_auth_settings_from_config(cfg);
    std::shared_ptr<http::ConsoleSessions> console_sessions;
    if (console.enabled) {
      p_->accounts = std::make_unique<store::Accounts>(*p_->store, p_->runtime.pool(), console.hashing,
                                                       console.max_concurrent_hashes);
      console_sessions = std::make_shared<http::ConsoleSessions>(console.sessions);
    }
    auto admin_auth = std::make_shared<const http::AdminAuth>(cfg.str("server.admin_token"), console_sessions);
    if (p_->accounts)
      http::add_auth_routes(*router, {*p_->accounts, admin_auth, std::make_shared<http::LoginLimiter>(console.login)});
    http::AdminContext admin{*p_->store, cfg.str("server.admin_token")};
    admin.max_body_bytes = admin_body;
    admin.auth = admin_auth;
    http::add_admin_routes(*router, std::move(admin));
    http::PushContext push{p_->registry, cfg.str("server.admin_token"), admin_body};
    push.forwarder = std::move(forwarder);
    push.auth = admin_auth;
    http::add_push_routes(*router, std::move(push));
    // Agents saved here drive devices only without a manager-api (which owns them then).
    http::ApiContext api{*p_->store, p_->registry, {cfg.str("server.admin_token"), admin_auth},
                         std::make_shared<const core::Config>(cfg.root()), {}, admin_body};
    if (p_->db_profiles)
      api.agents_changed = [this] {
        p_->db_profiles->agents_changed();
        // Resolved again now, so the next turn already talks with the new agent.
        for (auto& s : p_->registry.all()) s->config_changed();
      };
    http::add_api_routes(*router, std::move(api));
    http::add_vision_routes(*router,
                            {p_->vision_settings, *p_->vision_tokens, default_profile->vllm.get(), p_->runtime.pool()});
    net::HttpServerOptions o;
    o.name = "http";
    o.address = cfg.str("server.ip", "0.0.0.0");
    o.port = static_cast<std::uint16_t>(http_port);
    o.max_body_bytes = cfg.get<std::size_t>("server.max_http_body_bytes", 8 * 1024);
    o.header_timeout = handshake_timeout;
    o.body_timeout = seconds_key(cfg, "server.http_body_timeout_seconds", 30.0);
    o.limiter = p_->connection_limiter;
    o.trusted_proxies = trusted_proxies;
    p_->http = std::make_unique<net::HttpServer>(p_->runtime, o, router);
    p_->http->start();
    spdlog::info("HTTP listening on {}:{} (OTA, vision, /health, /metrics)", o.address, p_->http->port());
    spdlog::info("OTA URL for devices: http://{}:{}/xiaozhi/ota/", lan_ip, p_->http->port());
    if (p_->accounts) create_first_admin(fmt::format("http://{}:{}/console/", lan_ip, p_->http->port()));
  }
  warn_if_exposed(cfg, dopts.address, p_->devices->port(), p_->http ? p_->http->port() : 0);
}

// The first start: with no admin account yet, `admin` gets a random password, shown
// in the log this once (only its hash is kept).
void Server::create_first_admin(const std::string& console_url) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  auto made = boost::asio::co_spawn(p_->runtime.loop(0), p_->accounts->create_first_admin("admin", now),
                                    boost::asio::use_future)
                  .get();
  if (!made) return;
  spdlog::warn("console: FIRST START: created the console account 'admin' with password {} -- log in at {} "
               "and change it. This password is shown only this once (`xiaozhi-server admin set-password admin` "
               "sets another).",
               *made, console_url);
}

namespace {

// server.mqtt.enabled: the MQTT listener and the UDP audio socket.
void start_mqtt(Server::Parts& p, const core::Config& cfg, const std::string& lan_ip, session::SessionDeps deps,
                session::AdmissionPolicy policy) {
  auto opts = mqtt_server_options(cfg);
  if (!opts.enabled) return;
  const std::string key = cfg.str("server.mqtt_signature_key");
  if (key.empty())
    throw std::runtime_error(
        "configuration: server.mqtt.enabled is true but server.mqtt_signature_key is empty: set a key (it signs "
        "the MQTT passwords the OTA answer hands devices; without one no device could log in)");
  net::UdpAudioEndpointOptions uo;
  uo.address = opts.address;
  uo.port = opts.udp_port;
  p.udp = std::make_unique<net::UdpAudioEndpoint>(p.runtime.loop(0), uo, &p.metrics);
  p.udp->start();
  const std::string host = opts.public_host.empty() ? lan_ip : opts.public_host;
  p.mqtt_devices = std::make_shared<session::MqttDeviceServer>(
      std::move(deps), std::move(policy), *p.udp, session::UdpHelloInfo{host, p.udp->port()}, p.idle_devices);
  opts.limiter = p.connection_limiter;
  p.mqtt = std::make_unique<net::MqttServer>(p.runtime, opts, net::official_mqtt_login(key), p.mqtt_devices,
                                              &p.metrics);
  p.mqtt->start();
  spdlog::info("MQTT listening on {}:{}{}, UDP audio on {}:{}; devices are told {}", opts.address, p.mqtt->port(),
               p.mqtt->tls_port() ? fmt::format(" (TLS on {})", p.mqtt->tls_port()) : std::string(),
               uo.address, p.udp->port(), host);
}

}  // namespace

void Server::shutdown(std::chrono::milliseconds grace) {
  if (p_->stopped) return;
  p_->stopping = true;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + grace;
  // The end of the grace is kept for memory summaries (an LLM call each, started as
  // sessions end): sessions get the rest, so the whole shutdown fits in the grace.
  std::chrono::milliseconds memory_share{0};
  const auto memories =
      p_->profile_builder ? p_->profile_builder->live_memories() : std::vector<std::shared_ptr<memory::Memory>>{};
  bool summarising = false;
  for (const auto& m : memories) summarising = summarising || m->summarises();
  if (summarising) {
    const std::chrono::milliseconds wanted(
        static_cast<long long>(p_->config.get<double>("server.shutdown_memory_seconds", 2.0) * 1000));
    memory_share = wanted < grace / 2 ? wanted : grace / 2;
  }
  const auto sessions_deadline = deadline - memory_share;
  if (p_->devices) p_->devices->stop_accepting();
  if (p_->http) p_->http->stop_accepting();
  // MQTT devices whose conversation ends are disconnected, not kept idle.
  if (p_->mqtt_devices) p_->mqtt_devices->stop_keeping_idle();
  // Sessions finish the reply they are speaking, then close.
  for (auto& s : p_->registry.all()) s->request_close("server shutting down", true);

  auto busy = [&] { return (p_->http && p_->http->open_connections() > 0) || live_sessions() > 0; };
  // Live work finishes on its own loops; this thread only watches the counters.
  while (busy() && Clock::now() < sessions_deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (busy()) {
    spdlog::warn("shutdown: grace period over with {} session(s) still open; dropping them", live_sessions());
    for (auto& s : p_->registry.all()) s->request_abort("server shutting down");
    // Their coroutines unwind quickly once the sockets are gone.
    auto hard = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (live_sessions() > 0 && std::chrono::steady_clock::now() < hard)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  // Idle MQTT devices are let go; the audio socket closes on its loop.
  if (p_->mqtt) p_->mqtt->stop();
  if (p_->udp) p_->udp->stop();

  // Chat history still queued, then the memory summaries of the sessions that just
  // closed, are written before the store closes: a SIGTERM right after a conversation
  // loses nothing. History first: it is what was said, and a summary may wait on an LLM
  // until the deadline (what it leaves is logged; those turns are in the history).
  auto drain = [&](const char* what, boost::asio::awaitable<void> work) {
    try {
      boost::asio::co_spawn(p_->runtime.loop(0), std::move(work), boost::asio::use_future).get();
    } catch (const std::exception& e) {
      spdlog::error("shutdown: {} failed: {}", what, e.what());
    }
  };
  if (p_->history) drain("chat history", p_->history->drain());
  for (const auto& m : memories) drain("memory summaries", m->drain(deadline));
  // Server-side MCP children are terminated and reaped.
  if (p_->server_mcp) {
    try {
      boost::asio::co_spawn(p_->runtime.loop(0), p_->server_mcp->shutdown(), boost::asio::use_future).get();
    } catch (const std::exception& e) {
      spdlog::error("shutdown: stopping the MCP servers failed: {}", e.what());
    }
  }
  // Everything queued for the database is written before the loops stop.
  if (p_->store) {
    try {
      boost::asio::co_spawn(p_->runtime.loop(0), p_->store->close(), boost::asio::use_future).get();
    } catch (const std::exception& e) {
      spdlog::error("shutdown: closing the store failed: {}", e.what());
    }
  }
  p_->runtime.stop();
  p_->http.reset();
  p_->devices.reset();
  p_->mqtt.reset();
  p_->mqtt_devices.reset();
  p_->udp.reset();
  p_->stopped = true;
}

std::uint16_t Server::ws_port() const { return p_->devices ? p_->devices->port() : 0; }
std::uint16_t Server::http_port() const { return p_->http ? p_->http->port() : 0; }
std::size_t Server::live_sessions() const { return p_->registry.sessions(); }
bool Server::shutting_down() const { return p_->stopping; }
const core::Config& Server::config() const { return p_->config; }

}  // namespace xz::apps
