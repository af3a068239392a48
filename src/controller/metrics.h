// The registry of custom metrics (a template's or a workflow's
// metrics.prometheus) that workflows emit, as Argo's controller keeps it: one
// series per name and labels, a counter adding each sample's value, a gauge
// taking the last, a histogram observing them into its buckets. Names get
// Argo's "argo_workflows_" prefix. Emission errors are kept in order, as the
// lines Argo's controller logs.
//
// Not thread-safe: one owner feeds it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"

namespace skiff::controller {

//
// A realtime gauge's series reads its clock when written out: the time from
// its start to `now`, until the sample that ends it fixes the value. Its
// owner (a workflow's uid) may drop it (Argo drops a deleted workflow's
// realtime metrics).
class MetricRegistry {
 public:
  void add(const engine::MetricSample& sample, const std::string& owner = "");
  // Prometheus' text exposition format, series sorted by name and labels;
  // running realtime gauges as of `now` (without it, as last emitted).
  std::string prometheus_text(std::optional<Time> now = std::nullopt) const;
  const std::vector<std::string>& errors() const { return errors_; }
  // The errors so far, forgotten here (a long-lived owner logs them).
  std::vector<std::string> take_errors() { return std::exchange(errors_, {}); }
  void drop_realtime(const std::string& owner);

 private:
  struct Series {
    bool realtime = false;
    std::string owner;
    Time since{};
    std::optional<Time> until;
    double value = 0;                 // counter, gauge
    std::vector<double> buckets;      // histogram upper bounds
    std::vector<uint64_t> counts;     // per bucket, cumulative when written
    uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string help;
    std::string type;
    std::map<std::vector<std::pair<std::string, std::string>>, Series> series;  // labels sorted by key
  };
  std::map<std::string, Family> families_;
  std::vector<std::string> errors_;
};

}  // namespace skiff::controller
