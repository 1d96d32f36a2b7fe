#include "tools/builtin/get_news_from_newsnow.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/log.h"
#include "protocol/percent_encoding.h"
#include "tools/builtin/tool_args.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

const std::vector<NewsnowSource>& newsnow_channels() {
  static const std::vector<NewsnowSource> kChannels = {
      {"V2EX", "v2ex-share"},
      {"知乎", "zhihu"},
      {"微博", "weibo"},
      {"联合早报", "zaobao"},
      {"酷安", "coolapk"},
      {"MKTNews", "mktnews-flash"},
      {"华尔街见闻", "wallstreetcn-quick"},
      {"36氪", "36kr-quick"},
      {"抖音", "douyin"},
      {"虎扑", "hupu"},
      {"百度贴吧", "tieba"},
      {"今日头条", "toutiao"},
      {"IT之家", "ithome"},
      {"澎湃新闻", "thepaper"},
      {"卫星通讯社", "sputniknewscn"},
      {"参考消息", "cankaoxiaoxi"},
      {"远景论坛", "pcbeta-windows11"},
      {"财联社", "cls-depth"},
      {"雪球", "xueqiu-hotstock"},
      {"格隆汇", "gelonghui"},
      {"法布财经", "fastbull-express"},
      {"Solidot", "solidot"},
      {"Hacker News", "hackernews"},
      {"Product Hunt", "producthunt"},
      {"Github", "github-trending-today"},
      {"哔哩哔哩", "bilibili-hot-search"},
      {"快手", "kuaishou"},
      {"靠谱新闻", "kaopu"},
      {"金十数据", "jin10"},
      {"百度热搜", "baidu"},
      {"牛客", "nowcoder"},
      {"少数派", "sspai"},
      {"稀土掘金", "juejin"},
      {"凤凰网", "ifeng"},
      {"虫部落", "chongbuluo-latest"},
  };
  return kChannels;
}

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A known channel by name or id (ASCII case ignored), or nullptr.
const NewsnowSource* find_channel(const std::string& name_or_id) {
  const std::string key = lower(name_or_id);
  for (const auto& c : newsnow_channels())
    if (lower(c.name) == key || c.id == key) return &c;
  return nullptr;
}

std::string source_names(const std::vector<NewsnowSource>& sources) {
  std::string out;
  for (const auto& s : sources) out += (out.empty() ? "" : "、") + s.name;
  return out;
}

}  // namespace

NewsnowSettings NewsnowSettings::from(const PluginConfig& cfg) {
  NewsnowSettings s;
  s.url = cfg.str("url", s.url);
  if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
    cfg.problem("url", "expected an http(s) URL to which the source id is appended, e.g. https://newsnow.busiyi.world/api/s?id=");
  // The reference writes "澎湃新闻;百度热搜;财联社"; a list works too.
  std::vector<std::string> names;
  if (const auto* node = cfg.find("news_sources"); node && node->is_string()) {
    std::string text = node->get<std::string>();
    for (std::size_t at; (at = text.find("；")) != std::string::npos;) text.replace(at, 3, ";");  // full-width
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find_first_of(";,\n", start);
      if (end == std::string::npos) end = text.size();
      std::string name = text.substr(start, end - start);
      name.erase(0, name.find_first_not_of(" \t\r"));
      name.erase(name.find_last_not_of(" \t\r") + 1);
      if (!name.empty()) names.push_back(std::move(name));
      start = end + 1;
    }
  } else {
    names = cfg.string_list("news_sources", {"澎湃新闻", "百度热搜", "财联社"});
  }
  for (const auto& n : names) {
    if (const auto* c = find_channel(n)) {
      if (std::none_of(s.sources.begin(), s.sources.end(), [&](const auto& x) { return x.id == c->id; }))
        s.sources.push_back(*c);
    } else {
      std::string known;
      for (const auto& c2 : newsnow_channels()) known += (known.empty() ? "" : ";") + c2.name;
      cfg.problem("news_sources", fmt::format("unknown source '{}' (known: {})", n, known));
    }
  }
  if (s.sources.empty()) s.sources.push_back(*find_channel("thepaper"));
  s.timeout = std::chrono::milliseconds(static_cast<long>(cfg.number("timeout", 10, 0.1, 120) * 1000));
  s.max_detail_chars = static_cast<std::size_t>(cfg.integer("max_detail_chars", 2000, 200, 20000));
  s.allow_private_links = cfg.boolean("allow_private_links", false);
  s.description = cfg.description("");
  return s;
}

GetNewsFromNewsnow::GetNewsFromNewsnow(NewsnowSettings settings, std::shared_ptr<net::HttpClient> http, NewsPicker pick)
    : settings_(std::move(settings)), http_(std::move(http)), pick_(std::move(pick)) {
  const std::string names = source_names(settings_.sources);
  schema_.name = "get_news_from_newsnow";
  schema_.description =
      !settings_.description.empty()
          ? settings_.description
          : fmt::format("Get the latest news (获取最新新闻): reads one current headline from a news source. Sources: "
                        "{}; the default is {}. Call again with detail=true when the user wants the details of "
                        "the headline just read.",
                        names, settings_.sources.front().name);
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"source",
         {{"type", "string"},
          {"description", fmt::format("The source's standard name, one of {}. Optional.", names)}}},
        {"detail",
         {{"type", "boolean"},
          {"description", "true to get the full text of the news item read last; default false."}}},
        {"lang",
         {{"type", "string"},
          {"description", "The language code to answer the user in, e.g. zh_CN, zh_HK, en_US, ja_JP; default zh_CN."}}}}},
      {"required", {"lang"}},
  };
}

const NewsnowSource& GetNewsFromNewsnow::source_for(const std::string& asked) const {
  if (!asked.empty()) {
    const std::string key = lower(asked);
    for (const auto& s : settings_.sources)
      if (lower(s.name) == key || s.id == key) return s;
  }
  return settings_.sources.front();
}

boost::asio::awaitable<ToolResult> GetNewsFromNewsnow::call(nlohmann::json arguments, SessionActions& session) {
  std::string lang = string_arg(arguments, "lang");
  if (lang.empty()) lang = "zh_CN";
  lang = utf8_truncate(lang, 20);
  if (bool_arg(arguments, "detail")) co_return co_await detail(std::move(lang), session);
  co_return co_await headline(source_for(string_arg(arguments, "source")), std::move(lang), session);
}

boost::asio::awaitable<ToolResult> GetNewsFromNewsnow::headline(const NewsnowSource& source, std::string lang,
                                                                SessionActions& session) {
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = settings_.url + protocol::percent_encode(source.id);
  req.headers = {{"User-Agent", "Mozilla/5.0"}, {"Accept", "application/json"}};
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = 2 << 20;
  std::vector<NewsItemRead> items;
  try {
    const nlohmann::json body = co_await fetch_json(*http_, std::move(req), "newsnow");
    if (!body.is_object() || !body.contains("items") || !body["items"].is_array())
      throw WebApiError("newsnow sent no items list", 200);
    for (const auto& it : body["items"]) {
      if (!it.is_object() || !it.contains("title") || !it["title"].is_string()) continue;
      NewsItemRead n{utf8_truncate(it["title"].get<std::string>(), 500), "", source.name};
      if (n.title.find_first_not_of(" \t\r\n") == std::string::npos) continue;
      for (const char* key : {"url", "mobileUrl"})
        if (n.link.empty() && it.contains(key) && it[key].is_string()) n.link = it[key].get<std::string>();
      if ((n.link.rfind("http://", 0) != 0 && n.link.rfind("https://", 0) != 0) || n.link.size() > 2048)
        n.link.clear();
      items.push_back(std::move(n));
      if (items.size() >= 200) break;
    }
  } catch (const WebApiError& e) {
    core::SessionLog(session.device_id(), session.session_id()).warn("get_news_from_newsnow({}): {}", source.id, e.what());
    ToolResult r = ToolResult::failed("Sorry, I can't get the news right now. Please try again later.");
    r.result = e.what();
    co_return r;
  }
  if (items.empty())
    co_return ToolResult::llm(fmt::format("{} has no news right now; suggest another source ({}).", source.name,
                                          source_names(settings_.sources)));
  NewsItemRead chosen = std::move(items[pick_(items.size()) % items.size()]);
  last_.put(session.session_id(), chosen);
  co_return ToolResult::llm(fmt::format(
      "A news headline from {} (answer the user in {}):\nTitle: {}\n(Read this headline to the user in a natural, "
      "fluent way, and tell them they can ask for the details.)",
      source.name, lang, chosen.title));
}

boost::asio::awaitable<ToolResult> GetNewsFromNewsnow::detail(std::string lang, SessionActions& session) {
  ArticleFetch how;
  how.timeout = settings_.timeout;
  how.max_text_bytes = settings_.max_detail_chars;
  how.allow_private_hosts = settings_.allow_private_links;
  co_return co_await news_detail_answer(last_.get(session.session_id()), *http_, how, std::move(lang), session,
                                        "get_news_from_newsnow", "get a headline first");
}

}  // namespace xz::tools::builtin
