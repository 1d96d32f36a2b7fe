#pragma once
// Splits a byte stream into '\n'-terminated lines (a trailing '\r' is dropped), with a
// bound on line length: newline-delimited JSON from a stdio MCP server, and its stderr.
// Pure: no I/O.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xz::tools::mcp {

class LineSplitter {
 public:
  enum class Overflow {
    drop,      // an over-long line is skipped whole (a JSON message cut short is useless)
    truncate,  // its first max_line bytes are kept (log text)
  };

  explicit LineSplitter(std::size_t max_line, Overflow overflow = Overflow::drop)
      : max_line_(max_line), overflow_(overflow) {}

  // The lines completed by `bytes`, in order.
  std::vector<std::string> feed(std::string_view bytes);
  // The unterminated rest at end of stream ("" when none or when it was dropped).
  std::string finish();
  // Lines skipped or cut because they were longer than max_line.
  std::size_t overlong_lines() const { return overlong_; }

 private:
  void complete(std::vector<std::string>& out);

  std::size_t max_line_;
  Overflow overflow_;
  std::string line_;
  bool over_ = false;  // the current line passed the bound
  std::size_t overlong_ = 0;
};

}  // namespace xz::tools::mcp
