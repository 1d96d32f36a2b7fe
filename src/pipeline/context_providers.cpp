#include "pipeline/context_providers.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>

#include "pipeline/context_answer.h"

namespace xz::pipeline {

namespace asio = boost::asio;

std::vector<ContextProviderSpec> context_providers_from_json(const nlohmann::json& list,
                                                             std::vector<std::string>& problems) {
  std::vector<ContextProviderSpec> out;
  if (list.is_null()) return out;
  if (!list.is_array()) {
    problems.push_back("context_providers: expected a list of {url, headers}");
    return out;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& e = list[i];
    const std::string where = fmt::format("context_providers[{}]", i);
    if (!e.is_object()) {
      problems.push_back(where + ": expected a map with url and headers");
      continue;
    }
    ContextProviderSpec spec;
    if (e.contains("url") && !e["url"].is_null()) {
      if (!e["url"].is_string()) {
        problems.push_back(where + ".url: expected a string");
        continue;
      }
      spec.url = e["url"].get<std::string>();
    }
    if (spec.url.empty()) continue;
    if (spec.url.rfind("http://", 0) != 0 && spec.url.rfind("https://", 0) != 0) {
      problems.push_back(fmt::format("{}.url: expected an http(s) URL, got \"{}\"", where, spec.url));
      continue;
    }
    if (e.contains("headers") && !e["headers"].is_null()) {
      if (!e["headers"].is_object()) {
        problems.push_back(where + ".headers: expected a map of header names to values");
        continue;
      }
      for (const auto& [name, value] : e["headers"].items()) {
        // The manager sends every value as text; numbers and booleans are accepted as such.
        std::string v = value.is_string() ? value.get<std::string>() : value.is_null() ? "" : value.dump();
        if (name.empty() || name.find_first_of("\r\n:") != std::string::npos ||
            v.find_first_of("\r\n") != std::string::npos) {
          problems.push_back(fmt::format("{}.headers.{}: not a valid header", where, name));
          continue;
        }
        if (v.empty()) continue;  // the reference's Authorization: "" placeholder
        spec.headers.emplace_back(name, std::move(v));
      }
    }
    out.push_back(std::move(spec));
  }
  return out;
}

namespace {

asio::awaitable<std::string> fetch_one(net::HttpClient& http, const ContextProviderSpec& spec,
                                       const std::string& device_id, const std::string& client_id,
                                       const ContextFetchOptions& options, const core::SessionLog& log) {
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = spec.url;
  req.headers = spec.headers;
  req.headers.emplace_back("device-id", device_id);
  if (!client_id.empty()) req.headers.emplace_back("client-id", client_id);
  req.connect_timeout = req.total_timeout = options.timeout;
  req.max_response_bytes = options.max_body_bytes;
  std::string why;
  try {
    auto res = co_await http.request(std::move(req));
    if (res.status != 200) {
      why = fmt::format("HTTP {}", res.status);
    } else {
      auto answer = parse_context_answer(res.body);
      if (answer.error.empty()) {
        std::string text;
        for (auto& line : answer.lines) text += (text.empty() ? "" : "\n") + line;
        co_return text;
      }
      why = answer.error;
    }
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;
    why = e.what();
  } catch (const std::exception& e) {
    why = e.what();
  }
  log.warn("context provider {} skipped: {}", spec.url, why);
  co_return std::string();
}

}  // namespace

asio::awaitable<std::string> fetch_dynamic_context(net::HttpClient& http, std::vector<ContextProviderSpec> providers,
                                                   std::string device_id, std::string client_id,
                                                   ContextFetchOptions options, core::SessionLog log) {
  if (providers.empty()) co_return std::string();
  auto ex = co_await asio::this_coro::executor;
  using Op = decltype(asio::co_spawn(ex, fetch_one(http, providers[0], device_id, client_id, options, log),
                                     asio::deferred));
  std::vector<Op> ops;
  ops.reserve(providers.size());
  for (const auto& p : providers)
    ops.push_back(asio::co_spawn(ex, fetch_one(http, p, device_id, client_id, options, log), asio::deferred));
  auto [order, errors, texts] = co_await asio::experimental::make_parallel_group(std::move(ops))
                                    .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  (void)order;
  std::string out;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (errors[i]) continue;  // only cancellation gets here; the outer wait has seen it too
    if (!texts[i].empty()) out += (out.empty() ? "" : "\n") + texts[i];
  }
  co_return out;
}

}  // namespace xz::pipeline
