// Commands as data: their JSON record and their application to an engine.
#include "controller/control.h"

namespace skiff::controller {

namespace {

using Json = nlohmann::json;

const std::pair<Command::Verb, const char*> kVerbs[] = {
    {Command::Verb::kSuspend, "suspend"}, {Command::Verb::kResume, "resume"},
    {Command::Verb::kStop, "stop"},       {Command::Verb::kTerminate, "terminate"},
    {Command::Verb::kSetNode, "set"},
};

engine::Event::Kind event_kind(Command::Verb verb) {
  switch (verb) {
    case Command::Verb::kSuspend: return engine::Event::Kind::kSuspend;
    case Command::Verb::kResume: return engine::Event::Kind::kResume;
    case Command::Verb::kStop: return engine::Event::Kind::kStop;
    case Command::Verb::kTerminate: return engine::Event::Kind::kTerminate;
    case Command::Verb::kSetNode: return engine::Event::Kind::kSetNode;
  }
  return engine::Event::Kind::kResume;
}

std::string text(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

const char* verb_name(Command::Verb verb) {
  for (const auto& [v, name] : kVerbs) {
    if (v == verb) return name;
  }
  return "";
}

Json to_json(const Command& command) {
  Json out = {{"verb", verb_name(command.verb)}};
  if (!command.node_field_selector.empty()) out["nodeFieldSelector"] = command.node_field_selector;
  if (!command.phase.empty()) out["phase"] = command.phase;
  if (!command.message.empty()) out["message"] = command.message;
  if (!command.output_parameters.empty()) {
    Json params = Json::array();
    for (const auto& [name, value] : command.output_parameters) params.push_back({{"name", name}, {"value", value}});
    out["outputParameters"] = params;
  }
  return out;
}

Result<Command> command_from_json(const Json& json) {
  if (!json.is_object()) return invalid_argument("a command record must be a JSON object");
  Command command;
  const std::string verb = text(json, "verb");
  bool known = false;
  for (const auto& [v, name] : kVerbs) {
    if (verb == name) {
      command.verb = v;
      known = true;
    }
  }
  if (!known) return invalid_argument("unknown command verb '" + verb + "'");
  command.node_field_selector = text(json, "nodeFieldSelector");
  command.phase = text(json, "phase");
  command.message = text(json, "message");
  if (auto params = json.find("outputParameters"); params != json.end() && params->is_array()) {
    for (const auto& p : *params) {
      if (!p.is_object()) return invalid_argument("outputParameters: each entry must be {name, value}");
      command.output_parameters.emplace_back(text(p, "name"), text(p, "value"));
    }
  }
  return command;
}

engine::Event to_event(const Command& command) {
  engine::Event event;
  event.kind = event_kind(command.verb);
  event.node_field_selector = command.node_field_selector;
  event.phase = command.phase;
  event.message = command.message;
  event.output_parameters = command.output_parameters;
  return event;
}

Result<std::vector<engine::Action>> apply(engine::Engine& engine, const Command& command, Time now) {
  return engine.command(to_event(command), now);
}

Status answer_when_completed(const Command& command, const std::string& name, const std::string& namespace_) {
  switch (command.verb) {
    case Command::Verb::kSuspend:
      return failed_precondition("cannot suspend completed workflows");
    case Command::Verb::kStop:
      if (!command.node_field_selector.empty()) break;
      [[fallthrough]];
    case Command::Verb::kTerminate:
      return failed_precondition("cannot shutdown a completed workflow: workflow: \"" + name + "\", namespace: \"" +
                                 namespace_ + "\"");
    case Command::Verb::kResume:
      if (command.node_field_selector.empty()) return Status::ok();  // nothing suspended: nothing to do
      break;
    default:
      break;
  }
  return invalid_argument("currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: " +
                          command.node_field_selector);
}

std::string accepted_message(const Command& command, const std::string& workflow) {
  switch (command.verb) {
    case Command::Verb::kSuspend: return "workflow " + workflow + " suspended";
    case Command::Verb::kResume: return "workflow " + workflow + " resumed";
    case Command::Verb::kStop: return "workflow " + workflow + " stopped";
    case Command::Verb::kTerminate: return "workflow " + workflow + " terminated";
    case Command::Verb::kSetNode: return "workflow values set";
  }
  return "";
}

}  // namespace skiff::controller
