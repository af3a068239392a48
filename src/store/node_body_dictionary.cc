// Dictionary 1 of the node rows (node_body_codec.h). Frozen: rows written
// with format byte kDeflatedV1 are inflated against exactly these bytes, so
// an edit here makes every such row unreadable. A better dictionary is a new
// function and a new format byte.
//
// Derived from the node bodies Skiff writes (Engine's node_json, keys in
// nlohmann's sorted order): the rarer shapes first and the commonest last,
// because deflate codes a near match in fewer bits than a far one. Only the
// vocabulary every workflow shares is here: keys, phases, node types, Argo's
// usual values and the shape of a timestamp; never names from a workflow.
#include "store/node_body_codec.h"

namespace skiff::store {

std::string_view node_body_dictionary_v1() {
  static constexpr std::string_view kText =
      // Rarer fields and values: references, memoization, flags, daemons,
      // artifacts, the other node types, phases and Argo's usual messages.
      R"json("templateRef":{"clusterScope":true,"name":"","template":""},"memoizationStatus":{"cacheName":"","hit":false,"key":""},)json"
      R"json("nodeFlag":{"hooked":true,"retried":true},"daemoned":true,"podIP":"",)json"
      R"json({"artifacts":[{"archive":{"none":{}},"name":"main-logs","s3":{"key":"/main.log"}},{"name":"","path":"/tmp/"}],)json"
      R"json("type":"Container","type":"HTTP","type":"Suspend","type":"Retry","type":"DAG","type":"Steps",)json"
      R"json("phase":"Omitted","phase":"Error","phase":"Pending","phase":"Failed","type":"Skipped",)json"
      R"json("message":"when ' evaluated false","message":"Error (exit code 1)","message":"child '' failed",)json"
      // Groups: their children, a running one's null finish, the root's
      // outbound nodes.
      R"json({"boundaryID":"","children":["","],"displayName":"[0]","finishedAt":null,"id":"","name":"","outboundNodes":["],"phase":"Running","progress":"0/1","resourcesDuration":{"cpu":0,"memory":0},"startedAt":"20","templateName":"","templateScope":"local/","type":"TaskGroup","type":"StepGroup"})json"
      // The commonest rows, a pod that succeeded (a loop's iteration), with
      // parameters and without.
      R"json({"boundaryID":"","displayName":"(0:0)","finishedAt":"20","hostNodeName":"localhost","id":"","inputs":{"parameters":[{"name":"","value":""}]},"name":"","outputs":{"exitCode":"0","parameters":[{"name":"","value":""}],"result":""},"phase":"Succeeded","progress":"1/1","resourcesDuration":{"cpu":1,"memory":1},"startedAt":"20","templateName":"","templateScope":"local/","type":"Pod"})json"
      R"json({"boundaryID":"","children":[""],"displayName":"","finishedAt":"20","hostNodeName":"localhost","id":"","name":"","outputs":{"exitCode":"0","result":""},"phase":"Succeeded","progress":"1/1","resourcesDuration":{"cpu":0,"memory":0},"startedAt":"20","templateName":"","templateScope":"local/","type":"Pod"})json";
  return kText;
}

}  // namespace skiff::store
