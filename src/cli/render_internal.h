// Pieces shared by the render*.cc files; not part of the CLI's public API.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/time.h"
#include "cli/render.h"

namespace skiff::cli::render_detail {

// --- tolerant JSON access: absent or mistyped fields read as empty ---------
const nlohmann::json& field(const nlohmann::json& j, std::string_view key);
std::string text(const nlohmann::json& j, std::string_view key);
// The array at `key`, or an empty array.
const nlohmann::json& items(const nlohmann::json& j, std::string_view key);
// A parameter value as argo shows it: strings as-is, other scalars as JSON.
std::string scalar_text(const nlohmann::json& value);

// --- times as the Go runtime sees them -------------------------------------
// Go's zero time.Time (0001-01-01T00:00:00Z): what an absent timestamp is,
// so durations and orderings involving one come out as argo's do.
Time go_zero_time();
// The timestamp at `key`, or the zero time when absent or unparsable.
Time time_field(const nlohmann::json& j, std::string_view key);
bool is_zero(Time t);

// "<strftime_format> -0700": `t` in the viewer's zone, as Go formats local times.
std::string local_clock(Time t, std::chrono::seconds utc_offset, const char* strftime_format);

// --- argo's humanize package ------------------------------------------------
// "10s", "1m", "2h", "3d": the DURATION column (finish zero means "now").
std::string relative_duration_short(Time start, Time finish, Time now);
// "1 minute 30 seconds": the Duration: header line.
std::string humanize_duration(Duration d);
// "Mon Jan 02 15:04:05 -0700 (3 minutes ago)": Created/Started/Finished.
std::string humanize_timestamp(Time t, const RenderOptions& options);
// Go's time.Duration String() for whole seconds: "0s", "1m5s", "1h0m0s".
std::string go_duration_string(long long seconds);

// --- Go's text/tabwriter (minwidth 0, padding 2, pad ' ', no flags) --------
// Cells end at '\t'; the text after a line's last tab is not aligned.
// Widths count Unicode code points, as Go does (ANSI escapes included,
// which is why argo wraps even uncoloured header cells in escapes).
std::string tabwrite(const std::string& input);

// --- colours and glyphs -----------------------------------------------------
std::string ansi(std::string_view s, int code, const RenderOptions& options);
constexpr int kFgRed = 31, kFgGreen = 32, kFgYellow = 33, kFgCyan = 36, kFgDefault = 39;

// The node tree section (column header and rows, already aligned), or ""
// when the workflow has no root node.
std::string render_tree(const nlohmann::json& wf, const RenderOptions& options);

// Whether `node` passes a Kubernetes-style field selector over the fields
// argo offers (displayName, templateName, phase, name, id, templateRef.name,
// templateRef.template, inputs.parameters.<name>.value). Empty matches all.
bool selector_matches(const std::string& selector, const nlohmann::json& node);

// status.resourcesDuration as argo prints it: "1s*(1 cpu),5s*(100Mi memory)".
std::string resources_duration_text(const nlohmann::json& resources);

}  // namespace skiff::cli::render_detail
