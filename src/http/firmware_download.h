#pragma once
// GET /xiaozhi/ota/download/{file}: serves an image from data/bin to the device that
// was offered it. Only plain names ending in .bin, and only files whose real path
// (symlinks resolved) is inside data/bin.
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace boost::asio {
class thread_pool;
}

namespace xz::http {

struct DownloadDecision {
  int status = 404;     // 200, 400, 403 or 404
  std::string path;     // the resolved file when 200
  std::string message;  // the reason otherwise
};

// Blocking (resolves paths on disk): run it on the worker pool.
DownloadDecision resolve_firmware_download(const std::string& bin_dir, std::string_view file_name);

void add_firmware_download_route(net::HttpRouter& router, std::string bin_dir, boost::asio::thread_pool& pool);

}  // namespace xz::http
