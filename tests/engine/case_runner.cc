#include "case_runner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "base/strings.h"
#include "case_yaml.h"
#include "controller/lock_table.h"
#include "engine/engine.h"
#include "spec/spec.h"

namespace skiff::enginetest {

namespace {

using engine::Action;
using engine::Event;

// A fixed, arbitrary start so that printed times are stable.
const Time kStart = Time(std::chrono::seconds(1767225600));  // 2026-01-01T00:00:00Z

Time at_second(int second) { return kStart + std::chrono::seconds(second); }

int int_field(const Json& object, const char* key, int fallback) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  return std::stoi(scalar_text(object[key]));
}

struct Pod {
  std::string node_id;
  Launch launch;
  Json tmpl;
  size_t sequence = 0;
  bool started = false;
  bool finished = false;
  bool cancel_requested = false;
  Json answer = Json::object();
  Json output_artifacts;  // where the engine placed the pod's outputs
};

class FakeWorld {
 public:
  FakeWorld(engine::Engine& engine, const Json& script, CaseRun& run, const std::vector<spec::Object>& library)
      : engine_(engine), script_(script), run_(run), locks_(controller::configmap_limits(&library)) {
    pods_script_ = script.value("pods", Json::object());
    for (const auto& [name, answer] : pods_script_.items()) unused_answers_.insert(name);
  }

  void play() {
    hold_elsewhere();
    take(engine_.start(at_second(0)));
    snapshot(0);
    int max_seconds = int_field(script_, "maxSeconds", 300);
    run_until(max_seconds);
    if (script_.contains("retry") && engine_.completed()) {
      retry(script_["retry"]);
      run_until(max_seconds);
    }
    if (!engine_.completed()) {
      run_.problems.push_back("the workflow did not complete within " + std::to_string(max_seconds) +
                              " seconds (phase " + engine::to_string(engine_.status().phase) + ")");
    }
    for (const auto& name : unused_answers_) {
      run_.problems.push_back("script.yaml answers pod '" + name + "' but no such pod was launched");
    }
    run_.workflow = engine_.to_json(at_second(now_));
    // The streamed text is the same document, byte for byte.
    std::string streamed;
    engine_.write_json(at_second(now_), [&streamed](std::string_view piece) { streamed += piece; });
    if (streamed != run_.workflow.dump()) {
      run_.problems.push_back("write_json() differs from to_json().dump(): " + streamed.substr(0, 400));
    }
    run_.metrics.clear();
    for (const auto& m : engine_.status().metrics) {
      Json sample = Json{{"name", m.name}, {"help", m.help}, {"labels", Json::object()}};
      if (auto node = engine_.status().nodes.find(m.node_id); node != engine_.status().nodes.end()) {
        sample["node"] = node->second.name;
      }
      for (const auto& [key, value] : m.labels) sample["labels"][key] = value;
      if (!m.error.empty()) {
        sample["error"] = m.error;
      } else {
        sample["type"] = m.type;
        sample["value"] = m.value;
        if (m.realtime) sample["realtime"] = true;
        if (!m.buckets.empty()) sample["buckets"] = m.buckets;
      }
      run_.metrics.push_back(std::move(sample));
    }
  }

 private:
  // script.yaml `heldElsewhere: [{lock: <key>, until: <second>}]`: another
  // workflow ("default/other") holds the lock from the start until then.
  void hold_elsewhere() {
    const Json held = script_.value("heldElsewhere", Json::array());
    for (size_t i = 0; i < held.size(); ++i) {
      const std::string key = scalar_text(held[i].value("lock", Json("")));
      engine::LockRequest request;
      request.key = key;
      std::vector<std::string> parts = split(key, '/');
      request.namespace_ = parts.empty() ? "" : parts[0];
      request.mutex = parts.size() > 1 && parts[1] == "Mutex";
      if (!request.mutex && parts.size() == 4) {
        request.configmap = parts[2];
        request.configmap_key = parts[3];
      }
      const std::string holder = "other-" + std::to_string(i);
      auto answer = locks_.acquire("other", "default/other", holder, {request});
      if (!answer.event.lock_acquired) run_.problems.push_back("heldElsewhere: " + key + " could not be taken");
      release_at_.emplace_back(int_field(held[i], "until", 1), holder);
    }
  }

  void release_elsewhere(int second) {
    std::vector<Event> answers;
    for (const auto& [at, holder] : release_at_) {
      if (at != second) continue;
      for (auto& answer : locks_.release("other", holder)) answers.push_back(std::move(answer.event));
    }
    if (!answers.empty()) take(engine_.handle_all(answers, at_second(now_)));
  }

  void run_until(int max_seconds) {
    for (int second = now_ + 1; second <= max_seconds && !engine_.completed(); ++second) {
      now_ = second;
      release_elsewhere(second);
      play_timeline(second);
      start_launched();
      kill_cancelled();
      finish_due();
      fire_timers();
      snapshot(second);
    }
  }

  // script.yaml `retry:` once the workflow completed, a second later: the
  // request's fields, the error it must be refused with (none when absent),
  // and `pods:` answers for the pods launched after it (over the first ones).
  void retry(const Json& spec) {
    now_ += 1;
    engine::RetryRequest request;
    request.restart_successful = scalar_text(spec.value("restartSuccessful", Json("false"))) == "true";
    request.node_field_selector = scalar_text(spec.value("selector", Json("")));
    const Json parameters = spec.value("parameters", Json::object());
    for (const auto& [name, value] : parameters.items()) {
      request.parameters.emplace_back(name, scalar_text(value));
    }
    const Json pods = spec.value("pods", Json::object());
    for (const auto& [name, answer] : pods.items()) {
      pods_script_[name] = answer;
      unused_answers_.insert(name);
    }
    run_.first_run = engine_.to_json(at_second(now_ - 1));
    auto result = engine_.retry(request, at_second(now_));
    std::string error = result ? "" : result.status().message();
    std::string expected_error = scalar_text(spec.value("error", Json("")));
    if (error != expected_error) {
      run_.problems.push_back("retry answered '" + error + "', expected '" + expected_error + "'");
    }
    if (result) take(std::move(*result));
    snapshot(now_);
  }

  void take(std::vector<Action> actions) {
    std::vector<Event> answers;
    for (auto& action : actions) {
      if (action.kind == Action::Kind::kCacheLookup) {
        answers.push_back(cache_answer(action));
        continue;
      }
      if (action.kind == Action::Kind::kCacheSave) {
        run_.cache_saves.push_back(Json{{"cache", action.cache_name}, {"key", action.cache_key},
                                        {"outputs", action.outputs}, {"second", now_}});
        continue;
      }
      // The controller's lock table answers at once (semaphore limits from
      // library.yaml's ConfigMaps).
      if (action.kind == Action::Kind::kAcquireLocks) {
        answers.push_back(locks_.acquire("wf", "default/" + engine_.name(), action.node_id, action.locks).event);
        continue;
      }
      if (action.kind == Action::Kind::kReleaseLocks) {
        for (auto& answer : locks_.release("wf", action.node_id)) answers.push_back(std::move(answer.event));
        continue;
      }
      if (action.kind == Action::Kind::kCancel) {
        for (auto& pod : pods_) {
          if (pod.node_id == action.node_id) pod.cancel_requested = true;
        }
        continue;
      }
      Pod pod;
      pod.node_id = action.launch.node_id;
      pod.launch = Launch{action.launch.node_name, action.launch.pod_name, now_};
      pod.tmpl = action.launch.tmpl;
      pod.launch.tmpl = action.launch.tmpl;
      pod.sequence = pods_.size();
      pod.output_artifacts = action.launch.tmpl.value("outputs", Json::object()).value("artifacts", Json());
      if (pods_script_.contains(pod.launch.node_name)) {
        pod.answer = pods_script_[pod.launch.node_name];
        unused_answers_.erase(pod.launch.node_name);
      }
      run_.launches.push_back(pod.launch);
      pods_.push_back(std::move(pod));
    }
    // The controller answers lookups and lock requests at once, as the local one does.
    if (!answers.empty()) take(engine_.handle_all(answers, at_second(now_)));
  }

  // script.yaml `cache: {<cache>: {<key>: {outputs: {...}, age: <seconds before now>}}}`
  Event cache_answer(const Action& lookup) {
    Event event;
    event.kind = Event::Kind::kCacheAnswer;
    event.node_id = lookup.node_id;
    const Json caches = script_.value("cache", Json::object());
    const Json cache = caches.value(lookup.cache_name, Json::object());
    if (!cache.contains(lookup.cache_key)) return event;
    const Json& entry = cache[lookup.cache_key];
    event.cache_hit = true;
    event.cache_outputs = entry.value("outputs", Json::object());
    event.cache_created = at_second(now_) - std::chrono::seconds(int_field(entry, "age", 0));
    return event;
  }

  void send(const Event& event) { take(engine_.handle(event, at_second(now_))); }

  std::string node_id_named(const std::string& name) const {
    for (const auto& pod : pods_) {
      if (pod.launch.node_name == name) return pod.node_id;
    }
    return "";
  }

  // A pod with init containers, sidecars or a containerSet reports each
  // container: its scripted exit code (default 0), or nothing for one
  // scripted `ran: false`. A lone container reports none, as the runtime.
  static std::vector<Event::ContainerExit> container_exits(const Json& tmpl, const Json& answer) {
    std::vector<Event::ContainerExit> out;
    const bool shaped = tmpl.contains("containerSet") || tmpl.contains("initContainers") || tmpl.contains("sidecars");
    if (!shaped) return out;
    const Json scripted = answer.value("containers", Json::object());
    auto add = [&](const std::string& name, int fallback) {
      const Json c = scripted.value(name, Json::object());
      if (c.contains("ran") && scalar_text(c["ran"]) == "false") return;
      out.push_back({name, int_field(c, "exitCode", fallback)});
    };
    for (const auto& c : tmpl.value("initContainers", Json::array())) add(scalar_text(c.value("name", Json(""))), 0);
    if (tmpl.contains("containerSet")) {
      for (const auto& c : tmpl["containerSet"].value("containers", Json::array())) {
        add(scalar_text(c.value("name", Json(""))), 0);
      }
    } else {
      add("main", int_field(answer, "exitCode", 0));
    }
    for (const auto& c : tmpl.value("sidecars", Json::array())) add(scalar_text(c.value("name", Json(""))), 0);
    return out;
  }

  void play_timeline(int second) {
    for (const auto& entry : script_.value("timeline", Json::array())) {
      if (int_field(entry, "at", -1) != second) continue;
      std::string kind = scalar_text(entry.value("event", Json()));
      static const std::map<std::string, Event::Kind> kinds = {
          {"terminate", Event::Kind::kTerminate}, {"stop", Event::Kind::kStop},
          {"suspend", Event::Kind::kSuspend},     {"resume", Event::Kind::kResume},
          {"setNode", Event::Kind::kSetNode},     {"timer", Event::Kind::kTimer},
          {"ready", Event::Kind::kStepReady},     {"containerStarted", Event::Kind::kContainerStarted},
          {"containerFinished", Event::Kind::kContainerFinished},
      };
      auto found = kinds.find(kind);
      if (found == kinds.end()) {
        run_.problems.push_back("timeline: unknown event '" + kind + "'");
        continue;
      }
      Event event;
      event.kind = found->second;
      if (!event.is_command()) {
        // A readiness probe passed: names the pod by its node name.
        if (event.kind == Event::Kind::kStepReady) {
          event.node_id = node_id_named(scalar_text(entry.value("node", Json(""))));
          event.pod_ip = scalar_text(entry.value("podIP", Json("")));
        }
        // A container of a running pod started or ended: the pod by its node
        // name, the container by its name.
        if (event.kind == Event::Kind::kContainerStarted || event.kind == Event::Kind::kContainerFinished) {
          event.node_id = node_id_named(scalar_text(entry.value("node", Json(""))));
          event.containers.push_back(
              {scalar_text(entry.value("container", Json(""))), int_field(entry, "exitCode", 0)});
        }
        send(event);
        continue;
      }
      // A command: its fields as `argo` takes them, and the error it must
      // be refused with (none expected when `error` is absent).
      event.node_field_selector = scalar_text(entry.value("selector", Json("")));
      event.phase = scalar_text(entry.value("phase", Json("")));
      event.message = scalar_text(entry.value("message", Json("")));
      const Json outputs = entry.value("outputs", Json::object());
      for (const auto& [name, value] : outputs.items()) {
        event.output_parameters.emplace_back(name, scalar_text(value));
      }
      std::string expected_error = scalar_text(entry.value("error", Json("")));
      auto result = engine_.command(event, at_second(now_));
      std::string error = result ? "" : result.status().message();
      if (error != expected_error) {
        run_.problems.push_back("timeline at " + std::to_string(second) + ": " + kind + " answered '" + error +
                                "', expected '" + expected_error + "'");
      }
      if (result) take(std::move(*result));
    }
  }

  // Pods launched earlier start now, all in one burst (or fail to start).
  void start_launched() {
    std::vector<Event> events;
    for (auto& pod : pods_) {
      if (pod.started || pod.finished || pod.launch.second >= now_) continue;
      pod.started = true;
      Event event;
      event.node_id = pod.node_id;
      if (pod.answer.contains("error")) {
        event.kind = Event::Kind::kStepFinished;
        event.error = scalar_text(pod.answer["error"]);
        event.exit_code = -1;
        pod.finished = true;
      } else {
        event.kind = Event::Kind::kStepStarted;
        // The address the runtime gave the pod (`{{steps.X.ip}}` of a daemon).
        event.pod_ip = scalar_text(pod.answer.value("podIP", Json("")));
      }
      events.push_back(std::move(event));
    }
    if (!events.empty()) take(engine_.handle_all(events, at_second(now_)));
  }

  void kill_cancelled() {
    for (size_t i = 0; i < pods_.size(); ++i) {
      if (!pods_[i].cancel_requested || pods_[i].finished) continue;
      pods_[i].finished = true;
      Event event;
      event.kind = Event::Kind::kStepFinished;
      event.node_id = pods_[i].node_id;
      event.exit_code = 137;
      event.killed = true;
      send(event);
    }
  }

  // Pods whose scripted duration is over finish one by one, earliest due
  // first, launch order breaking ties: parallel completions in a known order.
  void finish_due() {
    std::vector<size_t> due;
    for (size_t i = 0; i < pods_.size(); ++i) {
      const Pod& pod = pods_[i];
      if (pod.finished || !pod.started) continue;
      if (pod.launch.second + int_field(pod.answer, "duration", 1) <= now_) due.push_back(i);
    }
    std::stable_sort(due.begin(), due.end(), [&](size_t a, size_t b) {
      return pods_[a].launch.second + int_field(pods_[a].answer, "duration", 1) <
             pods_[b].launch.second + int_field(pods_[b].answer, "duration", 1);
    });
    for (size_t i : due) {
      if (pods_[i].finished) continue;  // a cancel may have ended it meanwhile
      pods_[i].finished = true;
      const Json& answer = pods_[i].answer;
      Event event;
      event.kind = Event::Kind::kStepFinished;
      event.node_id = pods_[i].node_id;
      event.exit_code = int_field(answer, "exitCode", 0);
      event.result = scalar_text(answer.value("result", Json("")));
      event.containers = container_exits(pods_[i].tmpl, answer);
      const Json files = answer.value("files", Json::object());
      for (const auto& [path, text] : files.items()) {
        event.files[path] = scalar_text(text);
      }
      // The world stores every output artifact where the engine placed it,
      // unless the script says the step left it out.
      const Json missing = answer.value("missingArtifacts", Json::array());
      if (pods_[i].output_artifacts.is_array()) {
        event.artifacts = Json::array();
        for (const auto& art : pods_[i].output_artifacts) {
          bool absent = false;
          for (const auto& m : missing) absent = absent || m == art.value("name", "");
          if (!absent) event.artifacts.push_back(art);
        }
      }
      send(event);
    }
  }

  void fire_timers() {
    auto due = engine_.next_timer();
    if (!due || *due > at_second(now_)) return;
    Event event;
    event.kind = Event::Kind::kTimer;
    send(event);
  }

  void snapshot(int second) { run_.snapshots.push_back(Snapshot{second, engine_.to_json(at_second(second))}); }

  engine::Engine& engine_;
  const Json& script_;
  CaseRun& run_;
  Json pods_script_;
  std::set<std::string> unused_answers_;
  std::vector<Pod> pods_;
  controller::LockTable locks_;
  std::vector<std::pair<int, std::string>> release_at_;  // (second, holder) of heldElsewhere
  int now_ = 0;
};

Result<std::vector<spec::Object>> load_objects(const std::string& path, bool optional) {
  if (optional && !std::filesystem::exists(path)) return std::vector<spec::Object>{};
  std::string text;
  if (!read_file(path, &text)) return not_found(path + ": cannot read");
  return spec::parse_documents(text, path);
}

}  // namespace

CaseRun run_case(const std::string& dir, bool walk_everything) {
  CaseRun run;
  auto script = read_yaml_file(dir + "/script.yaml", true);
  auto workflows = load_objects(dir + "/workflow.yaml", false);
  auto library = load_objects(dir + "/library.yaml", true);
  for (const Status* st : {&script.status(), &workflows.status(), &library.status()}) {
    if (!st->is_ok()) run.problems.push_back(st->message());
  }
  if (!run.problems.empty()) return run;
  if (workflows->size() != 1 || workflows->front().kind != "Workflow") {
    run.problems.push_back("workflow.yaml must hold exactly one Workflow");
    return run;
  }

  const Json options_doc = script->value("options", Json::object());
  engine::Options options;
  options.name = scalar_text(options_doc.value("name", Json("wf")));
  options.entrypoint = scalar_text(options_doc.value("entrypoint", Json("")));
  options.service_account = scalar_text(options_doc.value("serviceAccount", Json("")));
  options.uid = scalar_text(options_doc.value("uid", Json("")));
  options.walk_everything = walk_everything;
  const Json parameters = options_doc.value("parameters", Json::object());
  for (const auto& [name, value] : parameters.items()) {
    options.parameters.emplace_back(name, scalar_text(value));
  }

  auto created = engine::Engine::create(workflows->front(), *library, options);
  if (!created) {
    run.create_error = created.status().message();
    return run;
  }
  FakeWorld(**created, *script, run, *library).play();
  return run;
}

}  // namespace skiff::enginetest
