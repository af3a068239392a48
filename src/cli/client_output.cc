// Output helpers shared by the client verbs.
#include <ctime>
#include <iostream>

#include "cli/client_internal.h"
#include "spec/spec.h"

namespace skiff::cli {

RenderOptions client_render_options(bool wide) {
  RenderOptions options;
  options.wide = wide;
  options.now = now_from(Clock::now());
  std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  options.utc_offset = std::chrono::seconds(local.tm_gmtoff);
  options.zone_name = local.tm_zone ? local.tm_zone : "UTC";
  return options;
}

int fail(const Status& status) {
  std::fprintf(stderr, "%s\n", status.message().c_str());
  return status.code() == Code::kInvalidArgument ? 2 : 1;
}

std::string short_age(Duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 0) s = 0;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

int print_object(const Json& object, const std::string& output, const std::function<std::string()>& text) {
  if (output == "json") {
    std::cout << object.dump(2) << "\n";
  } else if (output == "yaml") {
    std::cout << spec::to_yaml(object);
  } else if (output == "name") {
    std::cout << object["metadata"].value("name", "") << "\n";
  } else if (output.empty() || output == "wide") {
    std::cout << text();
  } else {
    std::fprintf(stderr, "unknown output format: %s\n", output.c_str());
    return 2;
  }
  return 0;
}

}  // namespace skiff::cli
