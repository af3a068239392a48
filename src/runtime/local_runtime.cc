// The local runtime: each step is a host process (inside bubblewrap when
// available), observed through one epoll set of pidfds, pipes, a timer and
// an eventfd.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "agent/step_guard.h"
#include "base/strings.h"
#include "runtime/launch_plan.h"
#include "runtime/pod_network.h"
#include "runtime/process.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"
#include "runtime/step_state.h"

namespace skiff::runtime {
namespace {

using internal::Fd;
using internal::StepState;
using internal::Watch;
using Mono = std::chrono::steady_clock;

// Directory names come from node IDs; keep them to one path component.
std::string safe_component(const std::string& id) {
  std::string out = id;
  for (char& c : out) {
    if (c == '/' || c == '\0') c = '_';
  }
  if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
  return out;
}

bool bwrap_works(const std::string& bwrap, bool own_network = false) {
  internal::SpawnRequest probe;
  probe.executable = bwrap;
  probe.argv = {"bwrap", "--dev-bind", "/", "/", "--unshare-pid", "--", "/bin/true"};
  if (own_network) probe.argv.insert(probe.argv.begin() + 1, "--unshare-net");
  auto process = internal::spawn_process(probe);
  if (!process) return false;
  return internal::reap_pidfd(process->pidfd.get(), /*block=*/true) == 0;
}

std::string find_bwrap(const LocalOptions& options, const std::string& host_path) {
  if (!options.bwrap_path.empty()) return options.bwrap_path;
  if (::access("/usr/bin/bwrap", X_OK) == 0) return "/usr/bin/bwrap";
  return internal::find_in_path("bwrap", host_path);
}

// The small step tool installed beside the skiff executable, if any.
std::string step_tool_beside(const std::string& self_exe) {
  size_t slash = self_exe.rfind('/');
  if (slash == std::string::npos) return "";
  std::string tool = self_exe.substr(0, slash + 1) + "skiff-step";
  return ::access(tool.c_str(), X_OK) == 0 ? tool : "";
}

class LocalRuntime final : public Runtime {
 public:
  explicit LocalRuntime(const LocalOptions& options) : options_(options) {
    const char* path = std::getenv("PATH");
    host_.host_path = path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    const char* lang = std::getenv("LANG");
    host_.lang = lang ? lang : "";
    host_.self_exe = options.self_exe;
    host_.tool_exe = step_tool_beside(options.self_exe);
    host_.detach = !options.steps_die_with_runtime && !(host_.tool_exe.empty() && host_.self_exe.empty());
    ::mkdir(options.root.c_str(), 0755);
    host_.shim_dir = internal::make_shims(options.root + "/.bin", host_.host_path);
    if (options.sandbox) {
      std::string bwrap = find_bwrap(options, host_.host_path);
      if (!bwrap.empty() && bwrap_works(bwrap)) host_.bwrap = bwrap;
      host_.nsenter = ::access("/usr/bin/nsenter", X_OK) == 0 ? "/usr/bin/nsenter"
                                                                : internal::find_in_path("nsenter", host_.host_path);
    }
    if (host_.bwrap.empty()) {
      std::fprintf(stderr,
                   "skiff: warning: steps run without a sandbox (%s): they share the host's /tmp (TMPDIR points "
                   "to a private directory) and cannot see volume mounts at their container paths\n",
                   options.sandbox ? "bubblewrap (bwrap) is not installed or cannot create namespaces"
                                   : "sandboxing is turned off");
    }

    epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
    wake_fd_ = Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    timer_fd_ = Fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    watch_fd(wake_fd_.get(), &wake_watch_);
    watch_fd(timer_fd_.get(), &timer_watch_);
  }

  // Detached steps keep running, for the next runtime to adopt.
  ~LocalRuntime() override {
    for (auto& [id, step] : steps_) {
      if (!step->detached()) step->kill_now();
    }
  }

  Status launch(const StepSpec& requested) override {
    if (steps_.count(requested.id)) return failed_precondition("step " + requested.id + " is already running");
    StepSpec spec = requested;
    std::string pod_ip;
    if (spec.own_network && own_networks_work()) pod_ip = choose_pod_ip(spec.pod_ip);
    spec.own_network = !pod_ip.empty();
    auto paths = internal::StepPaths::under(options_.root, safe_component(spec.id));
    if (::mkdir(paths.dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return internal_error("cannot create " + paths.dir + ": " + std::strerror(errno));
    }
    // A step with a network of its own is reached through a forwarder this
    // process runs: it ends with it, and runs again with its pod IP.
    const bool detached = host_.detach && !spec.dies_with_runtime && spec.enter_step.empty() && !spec.own_network;
    auto layout = make_layout(spec, paths, detached);
    if (!layout) return layout.status().with_context("step " + spec.name);
    SKIFF_RETURN_IF_ERROR(layout->prepare());
    if (detached) SKIFF_RETURN_IF_ERROR(clear_record(paths));
    if (spec.script_source) {
      std::ofstream script(paths.script, std::ios::trunc | std::ios::binary);
      script << *spec.script_source;
      if (!script) return internal_error("cannot write " + paths.script);
      script.close();
      // Executable, as Argo stages it: `command: [sh, -c]` runs the path itself.
      ::chmod(paths.script.c_str(), 0755);
    }

    auto step = std::make_unique<StepState>(spec, paths, std::move(layout.value()), sandboxed(), detached);
    step->started = now_from(Clock::now());
    const int keep = spec.append_log ? 0 : O_TRUNC;
    step->log = Fd(::open(paths.log.c_str(), O_WRONLY | O_CREAT | keep | O_APPEND | O_CLOEXEC, 0644));
    if (!step->log.valid()) return internal_error("cannot create " + paths.log + ": " + std::strerror(errno));

    const StepState* target = nullptr;
    if (auto it = steps_.find(spec.enter_step); !spec.enter_step.empty() && it != steps_.end()) {
      if (!it->second->finished_running()) target = it->second.get();
    }
    internal::LaunchPlan plan = target ? plan_entering(spec, *target, *step)
                                       : internal::plan_launch(spec, step->layout, paths, host_, detached);
    if (!plan.error.empty()) {
      step->fail_to_start(plan.error);
    } else {
      // A detached step writes its own log: nothing of it goes through us.
      if (detached) plan.request.output_fd = step->log.get();
      auto process = internal::spawn_process(plan.request);
      if (!process) return process.status().with_context("step " + spec.name);
      step->attach(std::move(process.value()));
      if (detached) {
        step->log.reset();
        note_process(paths, step->leader_pid(), step->leader_start_ticks());
      }
      watch_fd(step->leader_pidfd.get(), &step->leader_watch);
      if (step->out.valid()) watch_fd(step->out.get(), &step->out_watch);
      if (step->err.valid()) watch_fd(step->err.get(), &step->err_watch);
      if (step->info.valid()) watch_fd(step->info.get(), &step->info_watch);
    }
    if (!pod_ip.empty()) pod_ips_[spec.id] = pod_ip;
    steps_.emplace(spec.id, std::move(step));
    return Status::ok();
  }

  std::optional<StepProcess> process_of(const std::string& id) const override {
    auto it = steps_.find(id);
    if (it == steps_.end() || !it->second->detached() || it->second->leader_pid() <= 0) return std::nullopt;
    return StepProcess{it->second->leader_pid(), it->second->leader_start_ticks()};
  }

  std::optional<StepProcess> find_process(const std::string& id, Time not_before) const override {
    auto paths = internal::StepPaths::under(options_.root, safe_component(id));
    std::string text;
    if (read_file(paths.record + "/process", &text)) {
      long long pid = 0, noted_us = 0;
      unsigned long long ticks = 0;
      if (std::sscanf(text.c_str(), "%lld %llu %lld", &pid, &ticks, &noted_us) != 3 || pid <= 0) return std::nullopt;
      if (noted_us < not_before.time_since_epoch().count()) return std::nullopt;
      return StepProcess{pid, ticks};
    }
    // A runtime that died while it started the step (before the note) may
    // still have started it: its leader, alone in its session, names the
    // step's record directory on its command line (the guard's --record,
    // bwrap's --bind).
    pid_t leader = internal::find_session_leader_with(paths.record);
    if (unsigned long long ticks = leader > 0 ? internal::process_start_ticks(leader) : 0; ticks != 0) {
      return StepProcess{leader, ticks};
    }
    // Or it has ended already, and recorded how.
    auto end = agent::read_recorded_end(paths.record);
    if (end && end->finished_unix_ns / 1000 >= not_before.time_since_epoch().count()) return StepProcess{0, 0};
    return std::nullopt;
  }

  Status adopt(const StepSpec& spec, const StepProcess& process) override {
    if (steps_.count(spec.id)) return failed_precondition("step " + spec.id + " is already running");
    auto paths = internal::StepPaths::under(options_.root, safe_component(spec.id));
    // Its files were prepared by the runtime that launched it: only their
    // places are needed, to read its outputs when it ends.
    auto layout = make_layout(spec, paths, /*detached=*/true);
    if (!layout) return layout.status().with_context("step " + spec.name);
    auto step = std::make_unique<StepState>(spec, paths, std::move(layout.value()), sandboxed(), /*detached=*/true);
    step->started = now_from(Clock::now());
    step->adopt(static_cast<pid_t>(process.pid), process.start_ticks);
    if (step->leader_pidfd.valid()) watch_fd(step->leader_pidfd.get(), &step->leader_watch);
    steps_.emplace(spec.id, std::move(step));
    return Status::ok();
  }

  void cancel(const std::string& id) override {
    auto it = steps_.find(id);
    if (it == steps_.end()) return;
    StepState& step = *it->second;
    if (step.finished_running() || step.cancel_requested) return;
    step.cancel_requested = true;
    step.terminate();
    step.kill_deadline = Mono::now() + step.spec.termination_grace;
  }

  std::vector<Completion> wait(std::optional<Time> until) override {
    std::vector<Completion> done;
    for (;;) {
      fire_due_kills();
      collect(&done);
      if (!done.empty() || woken_) {
        woken_ = false;
        return done;
      }
      if (until && now_from(Clock::now()) >= *until) return done;
      arm_timer(until);
      epoll_event events[64];
      int n = ::epoll_wait(epoll_.get(), events, 64, -1);
      if (n < 0 && errno != EINTR) return done;
      for (int i = 0; i < n; ++i) {
        auto watch = watches_.find(events[i].data.u64);
        if (watch != watches_.end()) dispatch(*watch->second);
      }
    }
  }

  void wake() override {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
  }

  void wake_on_readable(int fd) override {
    external_watches_.push_back(std::make_unique<Watch>(Watch{Watch::kWake, nullptr}));
    watch_fd(fd, external_watches_.back().get());
  }

  size_t running() const override { return steps_.size(); }

  std::string pod_ip(const std::string& id) const override {
    if (auto ip = pod_ips_.find(id); ip != pod_ips_.end()) return ip->second;
    return steps_.count(id) ? "127.0.0.1" : "";
  }

  Result<std::string> logs(const std::string& id) const override {
    auto paths = internal::StepPaths::under(options_.root, safe_component(id));
    std::string text;
    if (!read_file(paths.log, &text)) return not_found("no logs for step " + id);
    return text;
  }

 private:
  bool sandboxed() const { return !host_.bwrap.empty(); }

  // Whether steps can have a network of their own: bwrap can unshare the
  // network (the kernel allows unprivileged user namespaces, or skiff runs
  // privileged), and nsenter and the pod connector are there to reach in.
  // Asked once, at the first step that wants one.
  bool own_networks_work() {
    if (own_networks_work_) return *own_networks_work_;
    std::string missing;
    if (!sandboxed()) {
      missing = "the sandbox is off";
    } else if (host_.nsenter.empty()) {
      missing = "nsenter is not installed";
    } else if (host_.tool_exe.empty() && host_.self_exe.empty()) {
      missing = "the skiff executable is unknown";
    } else if (!bwrap_works(host_.bwrap, /*own_network=*/true)) {
      missing = "bubblewrap cannot create a network namespace";
    }
    own_networks_work_ = missing.empty();
    // Without a sandbox, sharing the host's network is what was asked for.
    if (!missing.empty() && sandboxed()) {
      std::fprintf(stderr,
                   "skiff: warning: daemon steps share the host's network (%s): their IP is 127.0.0.1, and two "
                   "daemons cannot listen on the same port\n",
                   missing.c_str());
    }
    return *own_networks_work_;
  }

  std::string choose_pod_ip(const std::string& wanted) const {
    std::set<std::string> taken;
    for (const auto& [id, ip] : pod_ips_) taken.insert(ip);
    if (!wanted.empty() && !taken.count(wanted)) return wanted;
    return internal::choose_pod_ip(taken);
  }

  internal::PodForwarder& forwarder() {
    if (!forwarder_) {
      internal::ForwarderOptions options;
      options.nsenter = host_.nsenter;
      options.connector = host_.tool_exe.empty() ? host_.self_exe : host_.tool_exe;
      forwarder_ = std::make_unique<internal::PodForwarder>(options);
    }
    return *forwarder_;
  }

  Result<internal::StepLayout> make_layout(const StepSpec& spec, const internal::StepPaths& paths,
                                           bool detached) const {
    if (!sandboxed()) return internal::StepLayout::direct(spec, paths);
    return internal::StepLayout::sandboxed(spec, paths, host_.shim_dir, host_.self_exe, host_.tool_exe, detached);
  }

  // A detached step's record starts empty: what a previous run of the same
  // id recorded must not be taken for this run's end.
  static Status clear_record(const internal::StepPaths& paths) {
    if (::mkdir(paths.record.c_str(), 0755) != 0 && errno != EEXIST) {
      return internal_error("cannot create " + paths.record + ": " + std::strerror(errno));
    }
    for (const char* name : {"/completion", "/completion.tmp", "/stdout", "/process"}) {
      ::unlink((paths.record + name).c_str());
    }
    return Status::ok();
  }

  // Written whole and renamed into place (see find_process): "<pid>
  // <start ticks> <when, in microseconds since the epoch>".
  static void note_process(const internal::StepPaths& paths, pid_t pid, unsigned long long start_ticks) {
    std::string temp = paths.record + "/process.tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    // The time is the file's own: a file's modification time is coarser
    // than the clock the journal uses.
    std::string text = std::to_string(pid) + " " + std::to_string(start_ticks) + " " +
                       std::to_string(now_from(Clock::now()).time_since_epoch().count()) + "\n";
    [[maybe_unused]] ssize_t n = ::write(fd, text.data(), text.size());
    ::close(fd);
    ::rename(temp.c_str(), (paths.record + "/process").c_str());
  }

  // A step run inside `target`'s sandbox: its command resolved as the target
  // sees its files, then started by nsenter in the target's user, mount and
  // pid namespaces, in its working directory. Without a sandbox it shares
  // the target's private /tmp and working directory. When the sandbox
  // cannot be entered (bwrap did not name its init yet, no nsenter), the
  // step runs in a sandbox of its own, as any step.
  internal::LaunchPlan plan_entering(const StepSpec& spec, const StepState& target, const StepState& own) const {
    if (!sandboxed()) return internal::plan_launch(spec, target.layout, target.paths, host_);
    if (target.init_pid() <= 0 || host_.nsenter.empty()) {
      return internal::plan_launch(spec, own.layout, own.paths, host_);
    }
    internal::LaunchPlan plan = internal::plan_launch(spec, target.layout, target.paths, host_);
    if (!plan.error.empty()) return plan;
    std::vector<std::string>& argv = plan.request.argv;
    auto words = std::find(argv.begin(), argv.end(), std::string("--"));
    if (words == argv.end()) return plan;
    const std::string pid = std::to_string(target.init_pid());
    std::vector<std::string> entering = {"nsenter", "--target", pid};
    // An unprivileged bwrap gives the step a user namespace of its own,
    // which grants the right to enter the others; a setuid one does not.
    char own_ns[64] = {}, step_ns[64] = {};
    ::readlink("/proc/self/ns/user", own_ns, sizeof own_ns - 1);
    ::readlink(("/proc/" + pid + "/ns/user").c_str(), step_ns, sizeof step_ns - 1);
    if (std::string(own_ns) != step_ns) entering.insert(entering.end(), {"--user", "--preserve-credentials"});
    entering.insert(entering.end(), {"--mount", "--pid"});
    if (target.spec.own_network) entering.push_back("--net");
    entering.insert(entering.end(), {"--wd=" + target.layout.cwd(), "--"});
    entering.insert(entering.end(), words + 1, argv.end());
    plan.request.executable = host_.nsenter;
    plan.request.argv = std::move(entering);
    plan.request.want_info_pipe = false;
    return plan;
  }

  void watch_fd(int fd, Watch* watch) {
    watch->token = next_token_++;
    watches_[watch->token] = watch;
    epoll_event ev{};
    // Edge-triggered: every handler drains its fd, and a registration that
    // outlives its step (its file still open elsewhere) reports once, not in
    // a loop.
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = watch->token;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  }

  // Before a step goes: its fds leave the epoll set (closing alone does not
  // remove one whose file is still open elsewhere) and its keys are retired.
  void unwatch(StepState& step) {
    for (Fd* fd : {&step.leader_pidfd, &step.init_pidfd, &step.out, &step.err, &step.info}) {
      if (fd->valid()) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd->get(), nullptr);
    }
    for (Watch* w : {&step.leader_watch, &step.init_watch, &step.out_watch, &step.err_watch, &step.info_watch}) {
      if (w->token) watches_.erase(w->token);
    }
  }

  void dispatch(Watch& watch) {
    switch (watch.kind) {
      case Watch::kWake: {
        if (&watch == &wake_watch_) {
          uint64_t count;
          while (::read(wake_fd_.get(), &count, sizeof count) > 0) {
          }
        }
        woken_ = true;
        return;
      }
      case Watch::kTimer: {
        uint64_t expirations;
        [[maybe_unused]] ssize_t n = ::read(timer_fd_.get(), &expirations, sizeof expirations);
        return;
      }
      default:
        break;
    }
    StepState& step = *watch.step;
    switch (watch.kind) {
      case Watch::kLeader: step.on_leader_exit(); break;
      case Watch::kInit: step.on_init_exit(); break;
      case Watch::kStdout: step.read_stream(true); break;
      case Watch::kStderr: step.read_stream(false); break;
      case Watch::kInfo: step.read_info(); break;
      default: break;
    }
    // The namespace's init becomes known from bwrap's info, read on an info
    // event or when bwrap exits.
    if (step.init_pidfd.valid() && !step.init_watched) {
      watch_fd(step.init_pidfd.get(), &step.init_watch);
      step.init_watched = true;
      // Its network namespace exists now: the host can reach into it.
      if (auto ip = pod_ips_.find(step.spec.id); ip != pod_ips_.end()) {
        forwarder().add(step.spec.id, ip->second, step.init_pid());
      }
    }
  }

  void fire_due_kills() {
    auto now = Mono::now();
    for (auto& [id, step] : steps_) {
      if (step->kill_deadline && *step->kill_deadline <= now) {
        step->kill_deadline.reset();
        step->kill_hard();
      }
    }
  }

  // Steps are only removed here, between epoll batches, so that no event
  // refers to a step that is gone.
  void collect(std::vector<Completion>* done) {
    for (auto it = steps_.begin(); it != steps_.end();) {
      if (!it->second->complete()) {
        ++it;
        continue;
      }
      done->push_back(it->second->completion());
      unwatch(*it->second);
      if (pod_ips_.erase(it->first) && forwarder_) forwarder_->remove(it->first);
      it = steps_.erase(it);
    }
  }

  void arm_timer(std::optional<Time> until) {
    std::optional<Mono::time_point> next;
    if (until) next = Mono::now() + (*until - now_from(Clock::now()));
    for (auto& [id, step] : steps_) {
      if (step->kill_deadline && (!next || *step->kill_deadline < *next)) next = step->kill_deadline;
    }
    itimerspec spec{};
    if (next) {
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(next->time_since_epoch()).count();
      if (ns <= 0) ns = 1;
      spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
      spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
      if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    }
    ::timerfd_settime(timer_fd_.get(), next ? TFD_TIMER_ABSTIME : 0, &spec, nullptr);
  }

  LocalOptions options_;
  internal::HostSetup host_;
  Fd epoll_, wake_fd_, timer_fd_;
  std::unordered_map<uint64_t, Watch*> watches_;
  uint64_t next_token_ = 1;
  Watch wake_watch_{Watch::kWake, nullptr};
  Watch timer_watch_{Watch::kTimer, nullptr};
  std::vector<std::unique_ptr<Watch>> external_watches_;
  bool woken_ = false;
  std::map<std::string, std::unique_ptr<StepState>> steps_;
  std::map<std::string, std::string> pod_ips_;  // steps with a network of their own -> pod IP
  std::optional<bool> own_networks_work_;
  // Declared last: destroyed first, before the steps it reaches into.
  std::unique_ptr<internal::PodForwarder> forwarder_;
};

}  // namespace

std::unique_ptr<Runtime> make_local_runtime(const LocalOptions& options) {
  return make_pod_runtime(std::make_unique<LocalRuntime>(options));
}

}  // namespace skiff::runtime
