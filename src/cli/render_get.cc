// `argo get`: the header block (a fixed "%-20s %v" layout) and the node tree.
#include <algorithm>

#include "cli/render_internal.h"

namespace skiff::cli {
namespace {

using nlohmann::json;
using namespace render_detail;

int code_points(std::string_view s) {
  int n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Go's fmt "%-20s %v\n": the label padded to 20 characters, a space, the value.
std::string header_line(const std::string& label, const std::string& value) {
  std::string out = label;
  out.append(static_cast<size_t>(std::max(0, 20 - code_points(label))), ' ');
  return out + " " + value + "\n";
}

// The spec the workflow actually runs: a copy of its WorkflowTemplate's spec
// when it was submitted from one, else its own.
const json& exec_spec(const json& wf) {
  const json& stored = field(field(wf, "status"), "storedWorkflowTemplateSpec");
  return stored.is_object() ? stored : field(wf, "spec");
}

bool is_suspended(const json& wf) {
  const json& suspend = field(field(wf, "spec"), "suspend");
  if (suspend.is_boolean() && suspend.get<bool>()) return true;
  const json& nodes = field(field(wf, "status"), "nodes");
  if (!nodes.is_object()) return false;
  for (const json& n : nodes) {
    if (text(n, "type") == "Suspend" && text(n, "phase") == "Running") return true;
  }
  return false;
}

std::string workflow_status(const json& wf) {
  std::string phase = text(field(wf, "status"), "phase");
  if (phase == "Running" && is_suspended(wf)) return "Running (Suspended)";
  if (phase == "Failed" && !text(field(wf, "spec"), "shutdown").empty()) return "Failed (Terminated)";
  if (phase.empty() || phase == "Pending") {
    return is_zero(time_field(field(wf, "metadata"), "creationTimestamp")) ? "Unknown" : "Pending";
  }
  return phase;
}

std::string service_account(const json& wf) {
  std::string sa = text(exec_spec(wf), "serviceAccountName");
  if (!sa.empty()) return sa;
  if (field(field(wf, "spec"), "workflowTemplateRef").is_object()) return "unset";
  return "unset (will run with the default ServiceAccount)";
}

std::string conditions_block(const json& status, const RenderOptions& options) {
  const json& conditions = items(status, "conditions");
  if (conditions.empty()) return "";
  std::string out = header_line("Conditions:", "");
  for (const json& c : conditions) {
    std::string type = text(c, "type");
    std::string icon;
    if (type == "MetricsError") icon = ansi(options.no_utf8 ? "Error" : "✖", kFgRed, options);
    if (type == "SpecWarning") icon = ansi(options.no_utf8 ? "Warning" : "⚠", kFgYellow, options);
    std::string message = text(c, "message");
    if (message.empty()) message = text(c, "status");
    out += header_line(icon + " " + type, message);
  }
  return out;
}

std::string artifact_location(const json& a) {
  if (const json& s3 = field(a, "s3"); s3.is_object()) {
    const json& insecure = field(s3, "insecure");
    std::string protocol = insecure.is_boolean() && insecure.get<bool>() ? "http" : "https";
    return protocol + "://" + text(s3, "endpoint") + "/" + text(s3, "bucket") + "/" + text(s3, "key");
  }
  if (const json& git = field(a, "git"); git.is_object()) return text(git, "repo");
  if (const json& http = field(a, "http"); http.is_object()) return text(http, "url");
  if (const json& af = field(a, "artifactory"); af.is_object()) return text(af, "url");
  if (const json& gcs = field(a, "gcs"); gcs.is_object()) {
    return "gs://" + text(gcs, "bucket") + "/" + text(gcs, "key");
  }
  return "";
}

std::string outputs_block(const json& outputs) {
  std::string out;
  const json& params = items(outputs, "parameters");
  if (!params.empty()) {
    out += header_line("Output Parameters:", "");
    for (const json& p : params) {
      // Listed once it has a value, a default or a source; shown with the
      // value, else the default (a bare source shows as empty).
      const json& value = field(p, "value");
      const json& fallback = field(p, "default");
      if (value.is_null() && fallback.is_null() && field(p, "valueFrom").is_null()) continue;
      out += header_line("  " + text(p, "name") + ":", scalar_text(value.is_null() ? fallback : value));
    }
  }
  const json& artifacts = items(outputs, "artifacts");
  if (!artifacts.empty()) {
    out += header_line("Output Artifacts:", "");
    for (const json& a : artifacts) {
      std::string location = artifact_location(a);
      if (!location.empty()) out += header_line("  " + text(a, "name") + ":", location);
    }
  }
  return out;
}

std::string header_block(const json& wf, const RenderOptions& options) {
  const json& metadata = field(wf, "metadata");
  const json& status = field(wf, "status");
  std::string out;
  out += header_line("Name:", text(metadata, "name"));
  out += header_line("Namespace:", text(metadata, "namespace"));
  out += header_line("ServiceAccount:", service_account(wf));
  out += header_line("Status:", workflow_status(wf));
  if (std::string message = text(status, "message"); !message.empty()) {
    out += header_line("Message:", message);
  }
  out += conditions_block(status, options);
  out += header_line("Created:", humanize_timestamp(time_field(metadata, "creationTimestamp"), options));
  Time started = time_field(status, "startedAt"), finished = time_field(status, "finishedAt");
  if (!is_zero(started)) out += header_line("Started:", humanize_timestamp(started, options));
  if (!is_zero(finished)) out += header_line("Finished:", humanize_timestamp(finished, options));
  if (!is_zero(started)) {
    Time end = is_zero(finished) ? options.now : finished;
    out += header_line("Duration:", humanize_duration(end - started));
  }
  if (text(status, "phase") == "Running") {
    const json& estimated = field(status, "estimatedDuration");
    if (estimated.is_number() && estimated.get<double>() > 0) {
      auto seconds = std::chrono::seconds(estimated.get<long long>());
      out += header_line("EstimatedDuration:", humanize_duration(seconds));
    }
  }
  out += header_line("Progress:", text(status, "progress"));
  if (std::string rd = resources_duration_text(field(status, "resourcesDuration")); !rd.empty()) {
    out += header_line("ResourcesDuration:", rd);
  }
  const json& params = items(field(exec_spec(wf), "arguments"), "parameters");
  if (!params.empty()) {
    out += header_line("Parameters:", "");
    for (const json& p : params) {
      const json& value = field(p, "value");
      if (!value.is_null()) out += header_line("  " + text(p, "name") + ":", scalar_text(value));
    }
  }
  if (const json& outputs = field(status, "outputs"); outputs.is_object()) out += outputs_block(outputs);
  return out;
}

}  // namespace

std::string render_get(const json& wf, const RenderOptions& options) {
  std::string out = header_block(wf, options);
  std::string tree = render_tree(wf, options);
  if (tree.empty()) return out;
  if (options.short_tree) return tree;
  return out + "\n" + tree;
}

std::string render_name(const json& wf) { return text(field(wf, "metadata"), "name") + "\n"; }

std::string render_watch_frame(const json& wf, const RenderOptions& options) {
  return render_get(wf, options);
}

std::string watch_clear_screen() { return "\x1b[H\x1b[2J\x1b[0;0H"; }

std::string watch_redraw_prefix(int previous_rows) {
  if (previous_rows <= 0) return "";
  return "\r\x1b[" + std::to_string(previous_rows) + "A\x1b[J";
}

int terminal_rows(const std::string& text_block, int columns) {
  int rows = 0;
  int width = 0;
  bool in_escape = false;
  auto end_line = [&] {
    rows += (columns > 0 && width > 0) ? (width + columns - 1) / columns : 1;
    width = 0;
  };
  for (size_t i = 0; i < text_block.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text_block[i]);
    if (in_escape) {
      // CSI sequences end with a byte in '@'..'~'.
      if (c >= '@' && c <= '~' && c != '[') in_escape = false;
      continue;
    }
    if (c == 0x1b) {
      in_escape = true;
    } else if (c == '\n') {
      end_line();
    } else if ((c & 0xC0) != 0x80) {
      ++width;
    }
  }
  if (width > 0) end_line();
  return rows;
}

}  // namespace skiff::cli
