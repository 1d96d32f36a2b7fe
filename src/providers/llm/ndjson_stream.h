#pragma once
// Splits a streamed body into newline-delimited JSON lines (Ollama's stream format):
// feed the pieces the network delivers, get complete lines out. Pure: no I/O.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xz::providers {

class NdjsonLines {
 public:
  // A line longer than this is an error (a broken or hostile peer).
  explicit NdjsonLines(std::size_t max_line_bytes = 1024 * 1024) : max_line_bytes_(max_line_bytes) {}

  // The lines completed by `bytes`, without terminators ("\n" or "\r\n"); blank lines
  // are skipped. Throws std::runtime_error when a line exceeds the bound.
  std::vector<std::string> feed(std::string_view bytes);
  // End of the body: the last line when it had no terminator (else empty).
  std::string finish();

 private:
  std::size_t max_line_bytes_;
  std::string line_;
};

}  // namespace xz::providers
