#include "controller/time_zones.h"

#include <fstream>
#include <iterator>
#include <mutex>

#include "expr/expr.h"

namespace skiff::controller {

std::optional<std::string> read_system_zone(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) return std::nullopt;
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail()) return std::nullopt;
  return data;
}

void use_system_time_zones() {
  static std::once_flag installed;
  std::call_once(installed, [] { expr::set_zone_source(read_system_zone); });
}

}  // namespace skiff::controller
