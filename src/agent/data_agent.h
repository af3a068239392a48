// The data agent: lists a data template's `source.artifactPaths` beside
// the workflow, as Argo's executor does before the transformation steps
// (which the engine applies). Runs as `skiff agent data FILE`, FILE holding
//   {"directory": "<host dir of the artifact>", "prefix": "<its key>",
//    "failure": "..."}   (set when the source cannot be listed: reported)
// and prints {"paths": ["<key>/<file>", ...]} (every file below, sorted) or
// {"error": "..."}.
#pragma once

namespace skiff::agent {

// argv: {"data", FILE}. Returns 0 when a report was printed, 64 when the
// request file could not be read.
int data_agent_main(int argc, char** argv);

}  // namespace skiff::agent
