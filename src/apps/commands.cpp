#include "apps/commands.h"

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "apps/cli.h"
#include "history/history_format.h"
#include "history/history_repository.h"
#include "session/identity.h"
#include "store/account_repository.h"
#include "store/accounts.h"
#include "store/database.h"
#include "store/device_repository.h"
#include "store/migrations.h"
#include "store/password_hash.h"
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

constexpr const char* kAdminUsage =
    "usage: xiaozhi-server admin list-users\n"
    "       xiaozhi-server admin add-user USER [--role viewer|admin] [--password-file FILE]\n"
    "       xiaozhi-server admin set-password USER [--password-file FILE]\n"
    "       xiaozhi-server admin remove-user USER\n"
    "The password is read from FILE (its first line), else from standard input; never give it as an argument.\n";

// The first line of `in`, without its line end.
std::string first_line(std::istream& in) {
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Typed twice without echo at a terminal; else the first line of standard input.
std::optional<std::string> read_password(const std::optional<std::string>& file) {
  if (file) {
    std::ifstream in(*file);
    if (!in) {
      std::cerr << "xiaozhi-server: cannot read " << *file << "\n";
      return std::nullopt;
    }
    return first_line(in);
  }
  if (!::isatty(STDIN_FILENO)) return first_line(std::cin);
  termios old{};
  ::tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::cerr << "Password: " << std::flush;
  std::string a = first_line(std::cin);
  std::cerr << "\nAgain: " << std::flush;
  std::string b = first_line(std::cin);
  std::cerr << "\n";
  ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
  if (a != b) {
    std::cerr << "xiaozhi-server: the two passwords differ\n";
    return std::nullopt;
  }
  return a;
}

store::ScryptParams password_cost(const core::Config& cfg) {
  store::ScryptParams p;
  p.log_n = cfg.get<int>("server.console.password_log_n", p.log_n);
  return p;
}

struct AdminArgs {
  std::string user;
  std::optional<std::string> password_file;
  std::optional<store::AccountRole> role;
};

// USER [--role R] [--password-file F] (also --x=value).
std::optional<AdminArgs> parse_admin_args(const std::vector<std::string>& args) {
  AdminArgs out;
  for (std::size_t i = 2; i < args.size(); ++i) {
    std::string a = args[i];
    std::optional<std::string> inline_value;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    auto value = [&]() -> std::optional<std::string> {
      if (inline_value) return inline_value;
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (a == "--role") {
      auto v = value();
      auto role = v ? store::parse_account_role(*v) : std::nullopt;
      if (!role) {
        std::cerr << "xiaozhi-server: --role must be viewer or admin\n";
        return std::nullopt;
      }
      out.role = role;
    } else if (a == "--password-file") {
      auto v = value();
      if (!v || v->empty()) {
        std::cerr << "xiaozhi-server: --password-file needs a file\n";
        return std::nullopt;
      }
      out.password_file = v;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "xiaozhi-server: unknown admin option " << a << "\n";
      return std::nullopt;
    } else if (out.user.empty()) {
      out.user = a;
    } else {
      std::cerr << "xiaozhi-server: admin takes one user name\n";
      return std::nullopt;
    }
  }
  if (out.user.empty() && args.size() >= 2 && args[1] != "list-users") {
    std::cerr << "xiaozhi-server: which user?\n";
    return std::nullopt;
  }
  if (!out.user.empty() && !store::valid_username(out.user)) {
    std::cerr << "xiaozhi-server: '" << out.user << "' is not a user name (1-64 of A-Z a-z 0-9 . _ @ -)\n";
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> new_password(const AdminArgs& a) {
  auto pw = read_password(a.password_file);
  if (!pw) return std::nullopt;
  if (!store::acceptable_password(*pw)) {
    std::cerr << "xiaozhi-server: a password has 8 to 1024 characters\n";
    return std::nullopt;
  }
  return pw;
}

int admin_command(const core::Config& cfg, const std::vector<std::string>& args) {
  if (args.size() < 2) {
    std::cerr << kAdminUsage;
    return kUsage;
  }
  const std::string& what = args[1];
  if (what != "list-users" && what != "add-user" && what != "set-password" && what != "remove-user") {
    std::cerr << kAdminUsage;
    return kUsage;
  }
  auto parsed = parse_admin_args(args);
  if (!parsed) {
    std::cerr << kAdminUsage;
    return kUsage;
  }
  if ((what == "list-users" && !parsed->user.empty()) || (what != "add-user" && parsed->role) ||
      ((what == "list-users" || what == "remove-user") && parsed->password_file)) {
    std::cerr << kAdminUsage;
    return kUsage;
  }
  const std::string path = store::database_path(cfg.str("log.data_dir", "data"));
  try {
    if (what == "list-users") {
      if (!std::filesystem::exists(path)) {
        std::cout << "no accounts yet (no database at " << path << ")\n";
        return kOk;
      }
      auto db = open_store(path);
      auto accounts = store::AccountRepository(db).list();
      std::cout << fmt::format("{:<32} {:<7} {:<19} {}\n", "USER", "ROLE", "UPDATED", "REVISION");
      for (const auto& a : accounts)
        std::cout << fmt::format("{:<32} {:<7} {:<19} {}\n", a.username, store::to_string(a.role),
                                 local_time(a.updated), a.revision);
      std::cout << accounts.size() << " account(s)\n";
      return kOk;
    }
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    auto db = open_store(path);
    store::AccountRepository repo(db);
    if (what == "remove-user") {
      switch (repo.remove(parsed->user)) {
        case store::AccountWrite::done:
          std::cout << "removed " << parsed->user << "; a console session of it ends when it expires\n";
          return kOk;
        case store::AccountWrite::last_admin:
          std::cerr << "xiaozhi-server: " << parsed->user << " is the last admin; add another admin first\n";
          return kFailed;
        default:
          std::cerr << "xiaozhi-server: no account " << parsed->user << "\n";
          return kFailed;
      }
    }
    if (what == "set-password" && !repo.find(parsed->user)) {
      std::cerr << "xiaozhi-server: no account " << parsed->user << " (admin add-user makes one)\n";
      return kFailed;
    }
    if (what == "add-user" && repo.find(parsed->user)) {
      std::cerr << "xiaozhi-server: " << parsed->user << " exists (admin set-password changes its password)\n";
      return kFailed;
    }
    auto pw = new_password(*parsed);
    if (!pw) return kFailed;
    const std::string hash = store::hash_password(*pw, password_cost(cfg));
    if (what == "set-password") {
      if (repo.set_password(parsed->user, hash, now_seconds()) != store::AccountWrite::done) {
        std::cerr << "xiaozhi-server: no account " << parsed->user << "\n";
        return kFailed;
      }
      std::cout << "password of " << parsed->user << " changed\n";
      return kOk;
    }
    store::Account a;
    a.username = parsed->user;
    a.password_hash = hash;
    a.role = parsed->role.value_or(store::AccountRole::viewer);
    a.created = a.updated = now_seconds();
    if (repo.add(a) != store::AccountWrite::done) {
      std::cerr << "xiaozhi-server: " << parsed->user << " exists\n";
      return kFailed;
    }
    std::cout << "added " << a.username << " (" << store::to_string(a.role) << ")\n";
    return kOk;
  } catch (const std::exception& e) {
    std::cerr << "xiaozhi-server: " << e.what() << "\n";
    return kFailed;
  }
}

}  // namespace

int run_command(const core::Config& cfg, const std::vector<std::string>& command) {
  if (!command.empty() && command.front() == "devices") return devices_command(cfg, command);
  if (!command.empty() && command.front() == "history") return history_command(cfg, command);
  if (!command.empty() && command.front() == "admin") return admin_command(cfg, command);
  std::cerr << "xiaozhi-server: unknown command '" << (command.empty() ? "" : command.front()) << "'\n\n"
            << cli_usage();
  return kUsage;
}

}  // namespace xz::apps
