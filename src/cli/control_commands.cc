// `skiff suspend|resume|stop|terminate NAME...` and `skiff node set NAME`
// for a `skiff run` in progress on this machine, with argo's flags and
// messages. The command travels as a durable record (controller/control.h)
// that the run applies and answers.
#include <cstdio>
#include <iostream>

#include "base/strings.h"
#include "cli/local_commands.h"
#include "controller/control.h"

namespace skiff::cli {

namespace {

using controller::Command;

// How long a client waits for the run to answer; a run answers within one
// turn of its loop, so this only bounds a run that is stuck or gone.
constexpr auto kReplyTimeout = std::chrono::seconds(60);

std::string resolve_name(const std::string& workflow) {
  if (workflow != "@latest") return workflow;
  std::string name;
  if (!read_file(skiff_home() + "/runs/latest", &name)) return "";
  return std::string(trim(name));
}

// Go's strconv.Unquote for a double-quoted value, as `argo node set`
// applies it to `--output-parameter name="..."`; other values stay as given.
std::string unquote(const std::string& value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return value;
  std::string out;
  for (size_t i = 1; i + 1 < value.size(); ++i) {
    char c = value[i];
    if (c == '"') return value;  // an unescaped quote inside: not a Go string literal
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i + 1 > value.size() - 1) return value;
    switch (value[i]) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      default: return value;
    }
  }
  return out;
}

// A completed (or never started) run answers as Argo answers for a
// workflow that is no longer running.
Status answer_without_run(const Command& command, const std::string& name, controller::RunState state,
                          const std::string& namespace_) {
  if (state == controller::RunState::kAbsent) {
    return not_found("workflows.argoproj.io \"" + name + "\" not found");
  }
  return controller::answer_when_completed(command, name, namespace_);
}

int send(const Command& command, const std::vector<std::string>& workflows, const std::string& namespace_) {
  int status = 0;
  for (const std::string& workflow : workflows) {
    std::string name = resolve_name(workflow);
    if (name.empty()) {
      std::fprintf(stderr, "skiff: no workflow has run on this machine yet (%s)\n", workflow.c_str());
      status = 1;
      continue;
    }
    std::string run_dir = skiff_home() + "/runs/" + name;
    Status outcome;
    controller::RunState state = controller::run_state(run_dir);
    if (state == controller::RunState::kRunning) {
      auto id = controller::post(run_dir, command);
      outcome = id ? controller::await_reply(run_dir, *id, kReplyTimeout) : id.status();
    } else {
      outcome = answer_without_run(command, name, state, namespace_);
    }
    if (!outcome) {
      std::fprintf(stderr, "skiff: %s\n", outcome.message().c_str());
      status = 1;
      continue;
    }
    std::cout << controller::accepted_message(command, name) << std::endl;
  }
  return status;
}

}  // namespace

int control_command(const ControlFlags& flags) {
  Command command;
  if (flags.verb == "suspend") {
    command.verb = Command::Verb::kSuspend;
  } else if (flags.verb == "resume") {
    command.verb = Command::Verb::kResume;
  } else if (flags.verb == "stop") {
    command.verb = Command::Verb::kStop;
  } else if (flags.verb == "terminate") {
    command.verb = Command::Verb::kTerminate;
  } else {
    command.verb = Command::Verb::kSetNode;
    if (flags.node_field_selector.empty()) {
      std::fprintf(stderr, "skiff: node set: --node-field-selector is required\n");
      return 2;
    }
  }
  command.node_field_selector = flags.node_field_selector;
  command.phase = flags.phase;
  command.message = flags.message;
  for (const std::string& raw : flags.output_parameters) {
    auto eq = raw.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "skiff: expected output parameter of the form: NAME=VALUE. Received: %s\n", raw.c_str());
      return 2;
    }
    command.output_parameters.emplace_back(raw.substr(0, eq), unquote(raw.substr(eq + 1)));
  }
  return send(command, flags.workflows, flags.namespace_.empty() ? "default" : flags.namespace_);
}

}  // namespace skiff::cli
