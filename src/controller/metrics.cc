#include "controller/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace skiff::controller {
namespace {

constexpr const char* kPrefix = "argo_workflows_";

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char text[64];
  auto [end, ec] = std::to_chars(text, text + sizeof text, v);
  return ec == std::errc() ? std::string(text, end) : std::to_string(v);
}

std::string escaped(const std::string& s, bool quote_too) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote_too) out += "\\\"";
    else out += c;
  }
  return out;
}

std::string label_text(const std::vector<std::pair<std::string, std::string>>& labels, const std::string& extra = "") {
  std::string out;
  for (const auto& [key, value] : labels) out += (out.empty() ? "" : ",") + key + "=\"" + escaped(value, true) + "\"";
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

}  // namespace

void MetricRegistry::add(const engine::MetricSample& sample, const std::string& owner) {
  if (!sample.error.empty()) {
    errors_.push_back(sample.error);
    return;
  }
  Family& family = families_[kPrefix + sample.name];
  if (!family.type.empty() && (family.type != sample.type || family.help != sample.help)) {
    // Prometheus refuses a name whose help or type changes.
    errors_.push_back("could not compute metric '" + sample.name + "': metric '" + sample.name +
                      "' has already been registered with a different help or type");
    return;
  }
  family.help = sample.help;
  family.type = sample.type;
  auto labels = sample.labels;
  std::sort(labels.begin(), labels.end());
  Series& series = family.series[labels];
  series.realtime = sample.realtime;
  if (sample.realtime) {
    series.owner = owner;
    series.since = sample.since;
    series.until = sample.until;
  }
  if (sample.type == "counter") {
    series.value += sample.value;
  } else if (sample.type == "gauge") {
    series.value = sample.value;
  } else {
    if (series.buckets.empty()) {
      series.buckets = sample.buckets;
      std::sort(series.buckets.begin(), series.buckets.end());
      series.counts.assign(series.buckets.size(), 0);
    }
    for (size_t i = 0; i < series.buckets.size(); ++i) {
      if (sample.value <= series.buckets[i]) ++series.counts[i];
    }
    ++series.count;
    series.sum += sample.value;
  }
}

void MetricRegistry::drop_realtime(const std::string& owner) {
  for (auto family = families_.begin(); family != families_.end();) {
    auto& series = family->second.series;
    for (auto it = series.begin(); it != series.end();) {
      it = it->second.realtime && it->second.owner == owner ? series.erase(it) : std::next(it);
    }
    family = series.empty() ? families_.erase(family) : std::next(family);
  }
}

std::string MetricRegistry::prometheus_text(std::optional<Time> now) const {
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + escaped(family.help, false) + "\n";
    out += "# TYPE " + name + " " + family.type + "\n";
    for (const auto& [labels, series] : family.series) {
      if (family.type != "histogram") {
        double value = series.value;
        if (series.realtime && (series.until || now)) {
          value = std::chrono::duration<double>(series.until.value_or(*now) - series.since).count();
        }
        out += name + label_text(labels) + " " + number(value) + "\n";
        continue;
      }
      for (size_t i = 0; i < series.buckets.size(); ++i) {
        out += name + "_bucket" + label_text(labels, "le=\"" + number(series.buckets[i]) + "\"") + " " +
               std::to_string(series.counts[i]) + "\n";
      }
      out += name + "_bucket" + label_text(labels, "le=\"+Inf\"") + " " + std::to_string(series.count) + "\n";
      out += name + "_sum" + label_text(labels) + " " + number(series.sum) + "\n";
      out += name + "_count" + label_text(labels) + " " + std::to_string(series.count) + "\n";
    }
  }
  return out;
}

}  // namespace skiff::controller
