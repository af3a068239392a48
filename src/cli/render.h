// Text views of a workflow for the command line, matching the argo CLI.
//
// Every function takes the Workflow object as JSON in Argo's exact shape
// (metadata, spec, status.nodes keyed by node ID, ...) and returns text; none
// of them reads the clock, the environment or the terminal: everything that
// varies (the current time, the local UTC offset, colour, UTF-8) comes in
// through RenderOptions. Missing or mistyped fields are treated as absent,
// never as errors, because a status may be partial while a workflow runs.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/time.h"

namespace skiff::cli {

struct RenderOptions {
  // `-o wide`: adds ARTIFACTS, RESOURCESDURATION and NODENAME columns.
  bool wide = false;
  // `-o short`: only the node tree, with a NODENAME column.
  bool short_tree = false;
  // ANSI colours on icons, as argo prints on a colour terminal.
  bool color = false;
  // `--no-utf8`: phase words instead of icons and ASCII tree glyphs.
  bool no_utf8 = false;
  // `--node-field-selector` (e.g. "phase=Failed", "displayName!=a,phase=Running");
  // nodes that do not match are hidden, as argo does. Empty shows all nodes.
  std::string node_field_selector;
  // Reference time for "N minutes ago" and for durations of unfinished nodes.
  Time now{};
  // The viewer's local offset from UTC and its zone abbreviation; argo prints
  // times in local time. The caller reads them once from the system.
  std::chrono::seconds utc_offset{0};
  std::string zone_name = "UTC";
};

// The text `argo get <name>` prints: the header block, then the node tree.
std::string render_get(const nlohmann::json& wf, const RenderOptions& options);

// `argo get -o name`: the workflow's name and a newline.
std::string render_name(const nlohmann::json& wf);

// One frame of the live view `argo watch` draws; the same text as render_get.
std::string render_watch_frame(const nlohmann::json& wf, const RenderOptions& options);

// The escape sequence argo writes before each frame: clear the screen, cursor home.
std::string watch_clear_screen();

// The escape sequence that moves the cursor back over a frame of
// `previous_rows` terminal rows and clears from there to the end of the
// screen, so the next frame overwrites it without clearing the scrollback.
// Empty when previous_rows is 0.
std::string watch_redraw_prefix(int previous_rows);

// How many terminal rows `text` occupies on a terminal `columns` wide
// (long lines wrap; ANSI escape sequences take no room). `columns` <= 0
// means no wrapping: the row count is the line count.
int terminal_rows(const std::string& text, int columns);

// For output that is not a terminal: one line per node that is new in
// `after` or whose phase or message differs from `before`, ordered by the
// time of the change then by node name. Format (fields separated by single
// spaces, the phase padded to 9 so columns line up):
//   <RFC 3339 time> <Phase> <display name> (<node name>)[: <message>]
// The time is the node's finishedAt once it has finished, else its startedAt.
std::vector<std::string> render_node_changes(const nlohmann::json& before,
                                             const nlohmann::json& after);

// The closing line of a run (no newline): "<name> Succeeded in 3s", with
// ": <message>" appended when the workflow has a message; "<name> Running for
// 3s" (measured to options.now) while it has not finished.
std::string render_summary(const nlohmann::json& wf, const RenderOptions& options);

// What `argo wait` prints when a workflow finishes (no newline):
// "<name> <Phase> at 2020-06-02 16:05:01 +0000 UTC" (local time per options).
std::string render_wait_line(const nlohmann::json& wf, const RenderOptions& options);

}  // namespace skiff::cli
