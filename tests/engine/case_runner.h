// Drives the engine through one case folder with a fake world and a fake
// clock: every launch is answered (started, then finished after the pod's
// scripted duration), timers fire when the clock reaches them, and the
// script's timeline injects extra events. Nothing sleeps; time is a number.
//
// script.yaml:
//   options: {name, entrypoint, serviceAccount, parameters: {k: v}}
//   pods:                      # keyed by node name; unlisted pods exit 0
//     "wf[0].a": {exitCode, result, files: {path: text}, error, duration,
//                 containers: {name: {exitCode} or {ran: false}},
//                 podIP}      # the address its started event reports
//                 # containers: of a pod with init containers, sidecars or
//                 # a containerSet; unlisted ones exit 0
//   cache:                     # memoization caches, answered at once
//     <cache>: {<key>: {outputs: {...}, age: 30}}   # age: seconds old
//   timeline:                  # seconds after start
//     - {at: 3, event: terminate}   # or: stop, timer
//     - {at: 2, event: ready, node: "wf[0].server"}  # readiness probe passed
//                                                    # (podIP: with an address)
//   retry:                     # once complete, `argo retry` a second later
//     {restartSuccessful, selector, parameters: {k: v}, error,
//      pods: {...}}            # answers for pods launched after the retry
//   heldElsewhere:             # another workflow holds a lock until a second
//     - {lock: default/Mutex/m, until: 3}
//   maxSeconds: 300            # the run fails if not complete by then
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skiff::enginetest {

using Json = nlohmann::json;

struct Launch {
  std::string node_name;
  std::string pod_name;
  int second = 0;  // fake-clock second of the launch
  nlohmann::json tmpl;  // the resolved template the engine asked to run
};

// The workflow as to_json() showed it at one moment.
struct Snapshot {
  int second = 0;
  Json workflow;
};

struct CaseRun {
  std::string create_error;  // Engine::create failed with this
  Json workflow;             // the final Workflow object
  Json first_run;            // with a retry: the Workflow as it was before it
  std::vector<Launch> launches;
  std::vector<Snapshot> snapshots;  // one per second, after that second's events
  std::vector<std::string> problems;  // the run itself went wrong (bad script, never completed)
  std::vector<Json> cache_saves;      // {cache, key, outputs, second} per kCacheSave
  // The status's custom metrics: {node (name, absent for the workflow's),
  // name, help, labels: {k: v}, type, value, buckets, error}, in order.
  std::vector<Json> metrics;
};

// Runs the case in `dir` (workflow.yaml, script.yaml, optional library.yaml);
// walk_everything: the engine re-walks the whole tree on every advance.
CaseRun run_case(const std::string& dir, bool walk_everything = false);

}  // namespace skiff::enginetest
