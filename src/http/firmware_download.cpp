#include "http/firmware_download.h"

#include <filesystem>

#include "http/ota_cors.h"
#include "core/async.h"

namespace xz::http {

namespace {

namespace fs = std::filesystem;

bool plain_bin_name(std::string_view name) {
  if (name.size() < 5 || name.size() > 255 || name.substr(name.size() - 4) != ".bin") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

DownloadDecision resolve_firmware_download(const std::string& bin_dir, std::string_view file_name) {
  if (!plain_bin_name(file_name)) return {400, {}, "invalid firmware file name"};
  std::error_code ec;
  fs::path root = fs::canonical(bin_dir, ec);
  if (ec) return {404, {}, "firmware not found"};
  fs::path file = fs::canonical(root / std::string(file_name), ec);
  if (ec) return {404, {}, "firmware not found"};
  // Inside data/bin after symlinks are resolved: the parent is the root itself.
  if (file.parent_path() != root) return {403, {}, "access denied"};
  if (!fs::is_regular_file(file, ec)) return {404, {}, "firmware not found"};
  return {200, file.string(), {}};
}

void add_firmware_download_route(net::HttpRouter& router, std::string bin_dir, boost::asio::thread_pool& pool) {
  const std::string path = "/xiaozhi/ota/download/{file}";
  auto serve = [dir = std::move(bin_dir), &pool](net::HttpRequest& req) -> boost::asio::awaitable<net::HttpResponse> {
    std::string name = req.params["file"];
    // Named, not a temporary in the co_await: g++ 12 would destroy its captures twice.
    auto check = [dir, name] { return resolve_firmware_download(dir, name); };
    auto d = co_await core::offload(pool, std::move(check));
    if (d.status != 200) co_return net::HttpResponse::error(d.status, d.message);
    net::HttpResponse resp;
    resp.status = 200;
    resp.content_type = "application/octet-stream";
    resp.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
    resp.file_path = d.path;
    co_return resp;
  };
  router.add("GET", path, with_cors(std::move(serve)));
  add_cors_preflight(router, path);
}

}  // namespace xz::http
