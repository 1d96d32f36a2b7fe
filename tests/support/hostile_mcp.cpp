#include "support/hostile_mcp.h"

#include "protocol/json_text.h"

namespace xz::test {
namespace {

std::string deep_object(std::size_t levels) {
  std::string s;
  for (std::size_t i = 0; i < levels; ++i) s += R"({"a":)";
  s += '1';
  return s.append(levels, '}');
}

}  // namespace

std::vector<std::string> hostile_mcp_messages() {
  const std::size_t deep = 25000;
  return {
      // A notification whose level is not a string.
      R"({"jsonrpc":"2.0","method":"notifications/message","params":{"level":5,"data":"x"}})",
      R"({"jsonrpc":"2.0","method":"notifications/message","params":"not an object"})",
      R"({"jsonrpc":"2.0","method":17,"params":[]})",
      // A response to an id nobody asked for, and one whose id and result have the wrong type.
      R"({"jsonrpc":"2.0","id":987654,"result":{"content":[]}})",
      R"({"jsonrpc":"2.0","id":"what","result":5})",
      R"({"jsonrpc":"2.0","error":{"code":"x","message":7}})",
      R"({"jsonrpc":"1.0","id":1,"result":{}})",
      // A request with an id of the wrong type (answered with an error).
      R"({"jsonrpc":"2.0","id":{"a":[1]},"method":"sampling/createMessage"})",
      // Not JSON, not an object, a batch of junk, invalid UTF-8, a number out of range.
      "this is not json",
      "42",
      R"([1,"two",null,{"jsonrpc":"2.0"},[[]]])",
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"\xff\"}}",
      R"({"jsonrpc":"2.0","id":1e400,"result":{}})",
      // 25,000 levels deep.
      std::string(deep, '[') + std::string(deep, ']'),
      R"({"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":)" + deep_object(deep) +
          "}}",
  };
}

std::string hostile_batch_with(const std::string& answer) {
  std::string batch = "[";
  for (const auto& m : hostile_mcp_messages()) {
    if (protocol::parse_json_text(m).is_discarded()) continue;
    batch += m;
    batch += ',';
  }
  return batch + answer + "]";
}

}  // namespace xz::test
