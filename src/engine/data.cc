// data templates: the source's artifact paths are listed beside the
// workflow (by the agent the controller starts); the engine applies the
// transformation steps as Argo's executor does, each expression seeing the
// previous value as `data`, and the result is the final value as JSON.
#include "engine/internal.h"

namespace skiff::engine {

void Engine::Impl::finish_data(Node& node, const Json& tmpl, const Event& event) {
  if (!event.error.empty()) {
    set_phase(node, Phase::kError, event.error);
    return;
  }
  if (event.killed && terminating) {
    set_phase(node, Phase::kFailed, shutdown_node_message);
    return;
  }
  const std::string prefix = "unable to process data template: ";
  const Json report = Json::parse(event.result, nullptr, false);
  if (!report.is_object()) {
    set_phase(node, Phase::kError, "the data agent gave no report");
    return;
  }
  if (report.contains("error")) {
    set_phase(node, Phase::kFailed,
              prefix + "unable to process data source: unable to source artifact paths: " +
                  string_field(report, "error"));
    return;
  }
  Json data = report.value("paths", Json::array());
  const Json steps = tmpl["data"].value("transformation", Json::array());
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string expression = string_field(steps[i], "expression");
    if (expression.empty()) continue;
    auto next = expr::evaluate_expression(expression, Json{{"data", data}});
    if (!next) {
      set_phase(node, Phase::kFailed,
                prefix + "unable to process data transformation: error processing data step " + std::to_string(i) +
                    ": " + next.status().message());
      return;
    }
    data = std::move(*next);
  }
  node.outputs = Json{{"result", expr::format_go_json(data)}, {"exitCode", "0"}};
  set_phase(node, Phase::kSucceeded);
}

}  // namespace skiff::engine
