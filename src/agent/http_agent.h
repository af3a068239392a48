// The HTTP agent: what runs an `http` template's request beside the
// workflow, as Argo's agent does. Runs as `skiff agent http FILE` inside a
// step's sandbox, FILE holding the request as JSON:
//   {"method": "GET", "url": "...", "headers": [{"name", "value"}],
//    "body": "...", "timeoutSeconds": 10, "insecureSkipVerify": false,
//    "failure": "..."}   (set when the request cannot be made: reported as is)
// It prints one JSON document on stdout, the report the engine reads:
//   {"statusCode": 200, "headers": {"Content-Type": ["text/plain"]},
//    "body": "..."}
// or, when no response came, {"error": "Get \"url\": <why>"}. Header names
// are canonical as Go writes them ("content-type" -> "Content-Type").
#pragma once

namespace skiff::agent {

// argv: {"http", FILE}. Returns 0 when a report was printed, 64 when the
// request file could not be read.
int http_agent_main(int argc, char** argv);

}  // namespace skiff::agent
