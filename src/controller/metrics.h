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
#include <string>
#include <vector>

#include "engine/engine.h"

namespace skiff::controller {

class MetricRegistry {
 public:
  void add(const engine::MetricSample& sample);
  // Prometheus' text exposition format, series sorted by name and labels.
  std::string prometheus_text() const;
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct Series {
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
