#pragma once
// The answer of whois.pconline.com.cn/ipJson.jsp, the reference's IP-to-city service:
// GBK text, JSON with json=true, else JSONP. Pure: the answer is outside bytes.
#include <string>
#include <string_view>

namespace xz::pipeline {

// GBK (CP936) bytes as UTF-8; a byte sequence GBK does not define becomes U+FFFD.
std::string gbk_to_utf8(std::string_view gbk);

// The "city" of an ipJson.jsp answer, UTF-8: the answer is JSON (json=true) or JSONP
// ("if(window.IPCallBack) {IPCallBack({...});}"), in GBK unless `charset` says UTF-8,
// possibly after blank lines. "" when the answer has no city or is not such a text.
std::string city_from_ip_answer(std::string_view body, std::string_view charset);

}  // namespace xz::pipeline
