// Compares a case's expected.yaml with what the engine produced.
//
// expected.yaml:
//   createError: "..."          # Engine::create must fail with exactly this
//   phase / message / progress  # the workflow's status fields
//   outputs: {...}              # status.outputs, subset match
//   nodeCount: 4                # exact number of nodes
//   launchOrder: [a, [b, c], d] # node names in launch order; a list = same second
//   launched:                   # the resolved template a node was launched with
//     "wf.onExit": {container: {args: ["..."]}}   # subset match
//   nodes:                      # by node NAME
//     wf: {id, displayName, type, templateName, templateScope, phase, message,
//          boundaryID: <node name>, children: [names], childrenAnyOrder: [names],
//          outboundNodes: [names], inputs: {...}, outputs: {...}, templateRef: {...},
//          podName, nodeFlag: {hooked, retried}}
//   checkpoints:                # the same checks at a given second of the run
//     - {at: 4, phase: Running, nodes: {...}}
// A field given as `~` must be absent. Objects match as subsets; lists of
// named objects (parameters) match by name and must have the same length.
#pragma once

#include <string>
#include <vector>

#include "case_runner.h"

namespace skiff::enginetest {

// Every mismatch, each naming the node and field with expected vs actual.
std::vector<std::string> check_case(const Json& expected, const CaseRun& run);

}  // namespace skiff::enginetest
