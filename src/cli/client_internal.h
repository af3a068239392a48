// Helpers shared by the client verbs (internal to the CLI).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/render.h"

namespace skiff::cli {

RenderOptions client_render_options(bool wide);
// Prints the error; 2 for bad input, else 1.
int fail(const Status& status);
// "5s", "3m", "2h", "4d", as argo list prints ages.
std::string short_age(Duration d);
// Columns separated by three spaces, as Go's tabwriter does for argo.
std::string format_table(const std::vector<std::vector<std::string>>& rows);
// -o json|yaml|name, or `text()` for the default and wide views.
int print_object(const Json& object, const std::string& output, const std::function<std::string()>& text);

// "@latest" names the namespace's newest workflow.
Result<std::string> resolve_name(const ApiClient& api, const std::string& ns, const std::string& name);
// Follows the workflow until it completes (drawn with watch, summed up
// with wait); 0 when it succeeded.
int finish_waiting(const ApiClient& api, const std::string& ns, const std::string& name, bool watch, bool wait);

void add_template_commands(CLI::App& app, ClientFlags& flags, int* exit_code);
// retry, resubmit.
void add_lifecycle_commands(CLI::App& app, ClientFlags& flags, int* exit_code);
// archive list|get|delete|list-label-keys|list-label-values|resubmit|retry.
void add_archive_commands(CLI::App& app, ClientFlags& flags, int* exit_code);

}  // namespace skiff::cli
