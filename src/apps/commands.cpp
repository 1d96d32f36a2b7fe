#include "apps/commands.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "apps/cli.h"
#include "history/history_format.h"
#include "history/history_repository.h"
#include "session/identity.h"
#include "store/database.h"
#include "store/device_repository.h"
#include "store/migrations.h"
#include "store/store.h"

namespace xz::apps {

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

constexpr const char* kDevicesUsage =
    "usage: xiaozhi-server devices list\n"
    "       xiaozhi-server devices bind CODE   (the 6-digit code the device shows)\n";

constexpr const char* kHistoryUsage =
    "usage: xiaozhi-server history DEVICE_ID [--limit N]   (the newest N turns, default 50)\n";

std::string local_time(std::int64_t unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The same file the running server uses; WAL lets both write at once.
store::Database open_store(const std::string& path) {
  store::Database db(path);
  store::migrate(db);
  return db;
}

int devices_list(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    std::cout << "no devices yet (no database at " << path << ")\n";
    return kOk;
  }
  auto db = open_store(path);
  auto devices = store::DeviceRepository(db).list(100000);
  if (devices.empty()) {
    std::cout << "no devices yet (" << path << ")\n";
    return kOk;
  }
  std::cout << fmt::format("{:<20} {:<8} {:<24} {:<10} {:<19} {}\n", "DEVICE", "STATE", "BOARD", "FIRMWARE",
                           "LAST SEEN", "CLIENT");
  for (const auto& d : devices)
    std::cout << fmt::format("{:<20} {:<8} {:<24} {:<10} {:<19} {}\n", d.device_id, store::to_string(d.activation),
                             d.board.empty() ? "-" : d.board, d.firmware_version.empty() ? "-" : d.firmware_version,
                             local_time(d.last_seen), d.client_id);
  std::cout << devices.size() << " device(s)\n";
  return kOk;
}

int devices_bind(const std::string& path, const std::string& code) {
  bool six_digits = code.size() == 6 && code.find_first_not_of("0123456789") == std::string::npos;
  if (!six_digits) {
    std::cerr << "xiaozhi-server: '" << code << "' is not a 6-digit activation code\n" << kDevicesUsage;
    return kUsage;
  }
  if (!std::filesystem::exists(path)) {
    std::cerr << "xiaozhi-server: no device is waiting with code " << code << " (no database at " << path << ")\n";
    return kFailed;
  }
  auto db = open_store(path);
  auto r = store::DeviceRepository(db).bind(code, now_seconds());
  switch (r.outcome) {
    case store::BindOutcome::bound:
      std::cout << "bound device " << r.device_id << "; it activates at its next poll\n";
      return kOk;
    case store::BindOutcome::expired_code:
      std::cerr << "xiaozhi-server: activation code " << code
                << " has expired; restart the device to get a new one\n";
      return kFailed;
    case store::BindOutcome::unknown_code:
      break;
  }
  std::cerr << "xiaozhi-server: no device is waiting with code " << code << "\n";
  return kFailed;
}

int devices_command(const core::Config& cfg, const std::vector<std::string>& args) {
  const std::string path = store::database_path(cfg.str("log.data_dir", "data"));
  try {
    if (args.size() == 2 && args[1] == "list") return devices_list(path);
    if (args.size() == 3 && args[1] == "bind") return devices_bind(path, args[2]);
  } catch (const store::DatabaseError& e) {
    std::cerr << "xiaozhi-server: " << e.what() << "\n";
    return kFailed;
  }
  std::cerr << kDevicesUsage;
  return kUsage;
}

// history DEVICE_ID [--limit N | --limit=N]
int history_command(const core::Config& cfg, const std::vector<std::string>& args) {
  std::string device_id;
  std::size_t limit = 50;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string value;
    if (a == "--limit") {
      if (i + 1 >= args.size()) {
        std::cerr << "xiaozhi-server: --limit needs a number\n" << kHistoryUsage;
        return kUsage;
      }
      value = args[++i];
    } else if (a.rfind("--limit=", 0) == 0) {
      value = a.substr(8);
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "xiaozhi-server: unknown history option " << a << "\n" << kHistoryUsage;
      return kUsage;
    } else if (device_id.empty()) {
      device_id = a;
      continue;
    } else {
      std::cerr << "xiaozhi-server: history takes one device id\n" << kHistoryUsage;
      return kUsage;
    }
    bool digits = !value.empty() && value.size() <= 9 && value.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoul(value) == 0) {
      std::cerr << "xiaozhi-server: --limit: '" << value << "' is not a positive number\n" << kHistoryUsage;
      return kUsage;
    }
    limit = std::stoul(value);
  }
  if (device_id.empty()) {
    std::cerr << kHistoryUsage;
    return kUsage;
  }
  const std::string path = store::database_path(cfg.str("log.data_dir", "data"));
  if (!std::filesystem::exists(path)) {
    std::cout << "no chat history yet (no database at " << path << ")\n";
    return kOk;
  }
  try {
    auto db = open_store(path);
    auto turns = history::recent_turns(db, device_id, limit);
    // Sessions key MAC-like ids as aa:bb:cc:dd:ee:ff; accept them typed any way.
    if (auto key = session::normalize_device_id(device_id); turns.empty() && key != device_id) {
      turns = history::recent_turns(db, key, limit);
      device_id = key;
    }
    std::cout << history::format_history(device_id, turns);
  } catch (const std::exception& e) {
    std::cerr << "xiaozhi-server: " << e.what() << "\n";
    return kFailed;
  }
  return kOk;
}

}  // namespace

int run_command(const core::Config& cfg, const std::vector<std::string>& command) {
  if (!command.empty() && command.front() == "devices") return devices_command(cfg, command);
  if (!command.empty() && command.front() == "history") return history_command(cfg, command);
  std::cerr << "xiaozhi-server: unknown command '" << (command.empty() ? "" : command.front()) << "'\n\n"
            << cli_usage();
  return kUsage;
}

}  // namespace xz::apps
