// The answers of the web APIs the built-in functions read (outside bytes): gzip bodies,
// QWeather's city lookup and city page (over the forgiving HTML tree), ip-api.com,
// Open-Meteo geocoding, Amap's geocodes and places, NewsAPI. The first byte picks the
// reader; any input gives a value or a WebApiError, and the values are bounded.
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_check.h"
#include "tools/builtin/geocoding.h"
#include "tools/builtin/get_indian_news_api.h"
#include "tools/builtin/get_location.h"
#include "tools/builtin/get_place_info.h"
#include "tools/builtin/gzip_body.h"
#include "tools/builtin/html_tree.h"
#include "tools/builtin/qweather.h"
#include "tools/builtin/web_api.h"

using namespace xz::tools::builtin;

namespace {

std::size_t depth_of(const HtmlNode& n) {
  std::size_t d = 0;
  for (const auto& c : n.children) d = std::max(d, depth_of(*c));
  return d + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text = xz::fuzz::as_text(data + 1, size - 1);
  const unsigned pick = data[0] % 4;
  try {
    if (pick == 0) {
      try {
        FUZZ_CHECK(gunzip(text, 1 << 16).size() <= (1u << 16));
      } catch (const std::runtime_error&) {
      }
    } else if (pick == 1) {
      HtmlLimits limits;
      limits.max_depth = 32;
      limits.max_nodes = 2000;
      const auto root = parse_html(text, limits);
      FUZZ_CHECK(depth_of(*root) <= limits.max_depth + 2);  // the root, and text below the deepest element
      (void)html_select(*root, ".a .b span.c");
      const QWeatherPage page = parse_qweather_page(text);
      FUZZ_CHECK(!page.city.empty() && page.city.size() <= 200 && page.days.size() <= 7 && page.basics.size() <= 20);
      (void)qweather_report(page);
    } else {
      const nlohmann::json answer = nlohmann::json::parse(text, nullptr, false);
      if (answer.is_discarded()) return 0;
      if (pick == 2) {
        if (auto c = qweather_city_answer(answer)) FUZZ_CHECK(!c->fx_link.empty());
        if (auto p = ip_api_place(answer)) FUZZ_CHECK(!p->city.empty());
        (void)first_geocoded_place(answer);
      } else {
        try {
          (void)amap_geocode_answer(answer);
        } catch (const WebApiError&) {
        }
        try {
          const auto pois = amap_poi_answer(answer);
          FUZZ_CHECK(pois.size() <= 50);
          (void)describe_places(pois, "x");
        } catch (const WebApiError&) {
        }
        const auto articles = newsapi_articles(answer);
        FUZZ_CHECK(articles.size() <= 100);
        for (const auto& a : articles) FUZZ_CHECK(!a.title.empty() && a.title.size() <= 500);
      }
    }
  } catch (const WebApiError&) {
  }
  return 0;
}
