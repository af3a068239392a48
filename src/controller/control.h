// Controlling a running workflow: the commands a user sends it (`skiff
// suspend|resume|stop|terminate|node set`, or the server's PUT
// /api/v1/workflows/{ns}/{name}/suspend|resume|stop|terminate|set) and the
// durable mailbox through which a local `skiff run` receives them.
//
// Design. A Command is plain data with a JSON form, so it can be stored
// before it is applied. apply() turns it into the engine event of the same
// name; the engine applies it whole or refuses it with Argo's message
// (engine.h, Engine::command). How a command travels is separate:
//   - local runs: the client writes <run_dir>/control/<id>.json atomically
//     (temp file + rename); the run holds <run_dir>/control/lock (flock) for
//     as long as it runs, watches the directory with inotify inside the
//     runtime's wait, applies commands in the order of their ids and
//     answers each with <id>.reply ({"ok":bool,"message":...}), which the
//     client waits for. A record written while no run holds the lock is
//     refused at once, and a run clears records left by an earlier run.
//   - a server can keep the same records in its store and call apply().
//
// Thread-safety: a CommandMailbox is used by one thread; post() and
// await_reply() may run in any process.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/time.h"
#include "engine/engine.h"

namespace skiff::controller {

struct Command {
  enum class Verb { kSuspend, kResume, kStop, kTerminate, kSetNode };
  Verb verb = Verb::kResume;
  std::string node_field_selector;  // resume, stop, set
  std::string phase;                // set: Succeeded, Failed or Error
  std::string message;              // set, stop (with a selector)
  std::vector<std::pair<std::string, std::string>> output_parameters;  // set
};

// "suspend", "resume", "stop", "terminate", "set".
const char* verb_name(Command::Verb verb);
nlohmann::json to_json(const Command& command);
Result<Command> command_from_json(const nlohmann::json& json);

// The engine event of the same name.
engine::Event to_event(const Command& command);

// Applies the command to a running workflow: the actions to carry out, or
// why it does not apply (nothing changed).
Result<std::vector<engine::Action>> apply(engine::Engine& engine, const Command& command, Time now);

// Argo's answer to the command for a workflow that is no longer running:
// an error for most verbs; a plain resume is accepted and does nothing.
Status answer_when_completed(const Command& command, const std::string& name, const std::string& namespace_);

// What `argo <verb>` prints once the command is accepted.
std::string accepted_message(const Command& command, const std::string& workflow);

// One local run's command records, from the run's side.
class CommandMailbox {
 public:
  explicit CommandMailbox(std::string run_dir);
  ~CommandMailbox();
  CommandMailbox(const CommandMailbox&) = delete;
  CommandMailbox& operator=(const CommandMailbox&) = delete;

  // Takes the run's lock, removes records of earlier runs and starts
  // watching. An error when another run holds the lock.
  Status open();
  // Readable when records may have arrived (edge-triggered use is fine:
  // take() drains it).
  int fd() const { return inotify_fd_; }

  struct Received {
    std::string id;
    Result<Command> command;
  };
  // The records that arrived, oldest first, each removed as it is taken.
  std::vector<Received> take();
  // Answers a record; the client waiting in await_reply() sees it.
  void reply(const std::string& id, const Status& outcome);

 private:
  std::string dir_;
  int lock_fd_ = -1;
  int inotify_fd_ = -1;
};

// From the client's side.
enum class RunState { kRunning, kFinished, kAbsent };
// Whether a local run of `run_dir` is in progress (it holds the lock), has
// finished (its workflow.json exists) or never ran here.
RunState run_state(const std::string& run_dir);
// Writes the command record; returns its id.
Result<std::string> post(const std::string& run_dir, const Command& command);
// Waits for the run's answer to record `id`: its outcome, or an error when
// the run ended or `timeout` passed without one.
Status await_reply(const std::string& run_dir, const std::string& id, Duration timeout);

}  // namespace skiff::controller
