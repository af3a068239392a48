// The forwarder's loop: one thread, one epoll set (level-triggered), a
// timer for the scans of listening ports, an eventfd for commands.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "agent/pod_connect.h"
#include "runtime/pod_network.h"
#include "runtime/process.h"

namespace skiff::runtime::internal {
namespace {

using Handler = std::function<void(uint32_t events)>;

// A new listening port is found within the first interval; a pod that
// stays quiet is looked at less and less often, up to the last.
constexpr int kFirstScanMs = 20;
constexpr int kLongestScanMs = 500;
constexpr size_t kRelayBuffer = 64 << 10;

// Bytes going one way through a relay.
struct Flow {
  std::vector<char> data = std::vector<char>(kRelayBuffer);
  size_t begin = 0, end = 0;
  bool eof = false;       // the source has no more
  bool shut = false;      // the destination was told so
  bool empty() const { return begin == end; }
};

struct Relay {
  Fd outside, inside;
  Flow in, out;  // towards the pod, towards the client
  uint64_t outside_token = 0, inside_token = 0;
  bool failed = false;
  bool done() const { return failed || (in.shut && out.shut); }
};

struct Listener {
  Fd fd;
  ListeningSocket inside;
  uint64_t token = 0;
};

struct Pod {
  std::string ip;
  pid_t ns_pid = -1;
  Fd channel;  // to the pod connector
  uint64_t channel_token = 0;
  pid_t channel_pid = -1;
  bool broken = false;  // the connector is gone
  std::map<uint16_t, Listener> listeners;
  std::deque<Fd> waiting;  // accepted clients, in the order of their requests
};

// Moves what `from` has into `flow`, and what `flow` holds into `to`.
void pump(int from, int to, Flow& flow, bool* failed) {
  while (!flow.eof && flow.end < flow.data.size()) {
    ssize_t n = ::recv(from, flow.data.data() + flow.end, flow.data.size() - flow.end, 0);
    if (n > 0) {
      flow.end += static_cast<size_t>(n);
    } else if (n == 0) {
      flow.eof = true;
    } else if (errno == EINTR) {
      continue;
    } else {
      if (errno != EAGAIN && errno != EWOULDBLOCK) *failed = true;
      break;
    }
  }
  while (!flow.empty()) {
    ssize_t n = ::send(to, flow.data.data() + flow.begin, flow.end - flow.begin, MSG_NOSIGNAL);
    if (n > 0) {
      flow.begin += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) *failed = true;
      break;
    }
  }
  if (flow.empty()) flow.begin = flow.end = 0;
  if (flow.eof && flow.empty() && !flow.shut) {
    ::shutdown(to, SHUT_WR);
    flow.shut = true;
  }
}

// A refused connection looks refused to the client: reset, not closed.
void reset(Fd& fd) {
  linger hard{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  fd.reset();
}

bool same_user_namespace(pid_t pid) {
  char own[64] = {}, theirs[64] = {};
  ::readlink("/proc/self/ns/user", own, sizeof own - 1);
  ::readlink(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), theirs, sizeof theirs - 1);
  return std::strcmp(own, theirs) == 0;
}

}  // namespace

class PodForwarder::Loop {
 public:
  explicit Loop(const ForwarderOptions& options) : options_(options) {
    epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
    wake_ = Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    timer_ = Fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    watch(wake_.get(), EPOLLIN, [this](uint32_t) {
      uint64_t count;
      while (::read(wake_.get(), &count, sizeof count) > 0) {
      }
      take_commands();
    });
    watch(timer_.get(), EPOLLIN, [this](uint32_t) {
      uint64_t expirations;
      [[maybe_unused]] ssize_t n = ::read(timer_.get(), &expirations, sizeof expirations);
      scan();
    });
    thread_ = std::thread([this] { run(); });
  }

  ~Loop() {
    stopping_.store(true);
    poke();
    thread_.join();
    for (auto& [id, pod] : pods_) pod.channel.reset();  // each connector sees the end and exits
    for (auto& [pid, pidfd] : connectors_) {
      if (reap_pidfd(pidfd.get(), /*block=*/false) < 0) {
        ::kill(pid, SIGKILL);
        reap_pidfd(pidfd.get(), /*block=*/true);
      }
    }
  }

  void add(const std::string& id, const std::string& ip, pid_t ns_pid) {
    {
      std::lock_guard lock(mu_);
      commands_.push_back({true, id, ip, ns_pid});
    }
    poke();
  }

  void remove(const std::string& id) {
    {
      std::lock_guard lock(mu_);
      commands_.push_back({false, id, "", -1});
    }
    poke();
  }

 private:
  struct Command {
    bool add;
    std::string id, ip;
    pid_t ns_pid;
  };

  void poke() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof one);
  }

  void run() {
    epoll_event events[64];
    while (!stopping_.load()) {
      int n = ::epoll_wait(epoll_.get(), events, 64, -1);
      if (n < 0 && errno != EINTR) return;
      for (int i = 0; i < n; ++i) {
        // A handler may retire another's token: look each one up afresh.
        auto it = handlers_.find(events[i].data.u64);
        if (it == handlers_.end()) continue;
        Handler handler = it->second;
        handler(events[i].events);
      }
    }
  }

  uint64_t watch(int fd, uint32_t events, Handler handler) {
    uint64_t token = next_token_++;
    handlers_[token] = std::move(handler);
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
    return token;
  }

  void rewatch(int fd, uint64_t token, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev);
  }

  void unwatch(int fd, uint64_t token) {
    if (fd >= 0) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    handlers_.erase(token);
  }

  void take_commands() {
    std::vector<Command> todo;
    {
      std::lock_guard lock(mu_);
      todo.swap(commands_);
    }
    for (Command& c : todo) {
      if (c.add) {
        open_pod(c.id, c.ip, c.ns_pid);
      } else {
        close_pod(c.id);
      }
    }
  }

  void open_pod(const std::string& id, const std::string& ip, pid_t ns_pid) {
    close_pod(id);
    Pod& pod = pods_[id];
    pod.ip = ip;
    pod.ns_pid = ns_pid;
    start_connector(pod);
    scan_interval_ms_ = kFirstScanMs;
    scan();
  }

  void close_pod(const std::string& id) {
    auto it = pods_.find(id);
    if (it == pods_.end()) return;
    Pod& pod = it->second;
    for (auto& [port, listener] : pod.listeners) unwatch(listener.fd.get(), listener.token);
    if (pod.channel.valid()) unwatch(pod.channel.get(), pod.channel_token);
    for (Fd& client : pod.waiting) reset(client);
    pods_.erase(it);  // the connector sees its end close and exits
  }

  // The pod connector, inside the pod's network namespace; its end of the
  // pair is fd 3.
  void start_connector(Pod& pod) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
      pod.broken = true;
      return;
    }
    Fd ours(pair[0]), theirs(pair[1]);
    SpawnRequest request;
    request.executable = options_.nsenter;
    request.argv = {"nsenter", "--target", std::to_string(pod.ns_pid)};
    // Entering the sandbox's user namespace first grants the right to
    // enter its network namespace without privilege.
    if (!same_user_namespace(pod.ns_pid)) request.argv.insert(request.argv.end(), {"--user", "--preserve-credentials"});
    request.argv.insert(request.argv.end(), {"--net", "--", options_.connector, "pod-connect"});
    request.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    request.channel_fd = theirs.get();
    auto process = spawn_process(request);
    if (!process) {
      pod.broken = true;
      return;
    }
    set_nonblocking(ours.get());
    pod.channel = std::move(ours);
    const pid_t pid = process->pid;
    const int pidfd = process->pidfd.get();
    connectors_.emplace(pid, std::move(process->pidfd));
    pod.channel_pid = pid;
    // Reaped when it ends, which fails what still waits on it.
    connector_tokens_[pid] = watch(pidfd, EPOLLIN, [this, pid, pidfd](uint32_t) {
      reap_pidfd(pidfd, /*block=*/false);
      for (auto& [id, other] : pods_) {
        if (other.channel_pid == pid) fail_channel(other);
      }
      unwatch(pidfd, connector_tokens_[pid]);
      connector_tokens_.erase(pid);
      connectors_.erase(pid);
    });
    Pod* at = &pod;
    pod.channel_token = watch(pod.channel.get(), EPOLLIN, [this, at](uint32_t events) { on_answers(*at, events); });
  }

  void fail_channel(Pod& pod) {
    pod.broken = true;
    if (pod.channel.valid()) {
      unwatch(pod.channel.get(), pod.channel_token);
      pod.channel.reset();
    }
    for (Fd& client : pod.waiting) reset(client);
    pod.waiting.clear();
  }

  void on_answers(Pod& pod, uint32_t events) {
    for (;;) {
      int32_t error = 0;
      iovec iov{&error, sizeof error};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = ::recvmsg(pod.channel.get(), &msg, MSG_CMSG_CLOEXEC);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) {
        fail_channel(pod);
        return;
      }
      Fd inside;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
          int fd;
          std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
          inside = Fd(fd);
        }
      }
      if (pod.waiting.empty()) continue;
      Fd client = std::move(pod.waiting.front());
      pod.waiting.pop_front();
      if (error != 0 || !inside.valid()) {
        reset(client);
        continue;
      }
      start_relay(std::move(client), std::move(inside));
    }
    if (events & (EPOLLHUP | EPOLLERR)) fail_channel(pod);
  }

  void start_relay(Fd outside, Fd inside) {
    set_nonblocking(outside.get());
    set_nonblocking(inside.get());
    auto relay = std::make_shared<Relay>();
    relay->outside = std::move(outside);
    relay->inside = std::move(inside);
    auto on_event = [this, relay](uint32_t) { step(*relay); };
    relay->outside_token = watch(relay->outside.get(), EPOLLIN, on_event);
    relay->inside_token = watch(relay->inside.get(), EPOLLIN, on_event);
    relays_.insert(relay);
  }

  void step(Relay& relay) {
    pump(relay.outside.get(), relay.inside.get(), relay.in, &relay.failed);
    pump(relay.inside.get(), relay.outside.get(), relay.out, &relay.failed);
    if (relay.done()) {
      unwatch(relay.outside.get(), relay.outside_token);
      unwatch(relay.inside.get(), relay.inside_token);
      auto it = std::find_if(relays_.begin(), relays_.end(), [&](const auto& r) { return r.get() == &relay; });
      if (it != relays_.end()) relays_.erase(it);  // the handlers hold the last references
      return;
    }
    // Read while there is room, write while there is something to write.
    auto interest = [](const Flow& reading, const Flow& writing) {
      uint32_t events = 0;
      if (!reading.eof && reading.end < reading.data.size()) events |= EPOLLIN;
      if (!writing.empty()) events |= EPOLLOUT;
      return events;
    };
    rewatch(relay.outside.get(), relay.outside_token, interest(relay.in, relay.out));
    rewatch(relay.inside.get(), relay.inside_token, interest(relay.out, relay.in));
  }

  // Finds the ports each pod listens on, and follows them on the host.
  void scan() {
    bool changed = false;
    for (auto& [id, pod] : pods_) changed = follow_ports(pod) || changed;
    scan_interval_ms_ = changed ? kFirstScanMs : std::min(scan_interval_ms_ * 2, kLongestScanMs);
    itimerspec spec{};
    if (!pods_.empty()) {
      spec.it_value.tv_sec = scan_interval_ms_ / 1000;
      spec.it_value.tv_nsec = static_cast<long>(scan_interval_ms_ % 1000) * 1000000;
    }
    ::timerfd_settime(timer_.get(), 0, &spec, nullptr);
  }

  bool follow_ports(Pod& pod) {
    const std::string proc = "/proc/" + std::to_string(pod.ns_pid) + "/net/";
    std::map<uint16_t, ListeningSocket> wanted;
    // IPv6 first, so that a port open on both is reached over IPv4.
    for (int family : {6, 4}) {
      for (const ListeningSocket& s : parse_listening(read_proc_file(proc + (family == 4 ? "tcp" : "tcp6")), family)) {
        wanted[s.port] = s;
      }
    }
    bool changed = false;
    for (auto it = pod.listeners.begin(); it != pod.listeners.end();) {
      if (wanted.count(it->first)) {
        ++it;
        continue;
      }
      unwatch(it->second.fd.get(), it->second.token);
      it = pod.listeners.erase(it);
      changed = true;
    }
    for (const auto& [port, inside] : wanted) {
      if (pod.listeners.count(port)) continue;
      Fd fd = listen_on(pod.ip, port);
      if (!fd.valid()) continue;  // taken on the host: tried again on the next scan
      Listener& l = pod.listeners[port];
      l.fd = std::move(fd);
      l.inside = inside;
      Pod* at = &pod;
      l.token = watch(l.fd.get(), EPOLLIN, [this, at, port](uint32_t) { accept_clients(*at, port); });
      changed = true;
    }
    return changed;
  }

  static Fd listen_on(const std::string& ip, uint16_t port) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return fd;
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1 ||
        ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
      return Fd();
    }
    return fd;
  }

  void accept_clients(Pod& pod, uint16_t port) {
    auto it = pod.listeners.find(port);
    if (it == pod.listeners.end()) return;
    const ListeningSocket& inside = it->second.inside;
    for (;;) {
      Fd client(::accept4(it->second.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!client.valid()) return;
      agent::PodConnectRequest request;
      request.family = static_cast<uint8_t>(inside.family);
      request.port = htons(port);
      if (inside.wildcard()) {
        // Listening everywhere: reached at the namespace's loopback.
        if (inside.family == 4) {
          uint32_t loopback = htonl(INADDR_LOOPBACK);
          std::memcpy(request.address, &loopback, 4);
        } else {
          request.address[15] = 1;
        }
      } else {
        std::memcpy(request.address, inside.address, sizeof request.address);
      }
      if (pod.broken || ::send(pod.channel.get(), &request, sizeof request, MSG_NOSIGNAL) != sizeof request) {
        reset(client);
        continue;
      }
      pod.waiting.push_back(std::move(client));
    }
  }

  ForwarderOptions options_;
  Fd epoll_, wake_, timer_;
  std::unordered_map<uint64_t, Handler> handlers_;
  uint64_t next_token_ = 1;
  std::map<std::string, Pod> pods_;
  std::set<std::shared_ptr<Relay>> relays_;
  std::map<pid_t, Fd> connectors_;  // pid -> pidfd, until reaped
  std::map<pid_t, uint64_t> connector_tokens_;
  int scan_interval_ms_ = kFirstScanMs;
  std::mutex mu_;
  std::vector<Command> commands_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

PodForwarder::PodForwarder(const ForwarderOptions& options) : loop_(std::make_unique<Loop>(options)) {}

PodForwarder::~PodForwarder() = default;

void PodForwarder::add(const std::string& id, const std::string& ip, pid_t ns_pid) { loop_->add(id, ip, ns_pid); }

void PodForwarder::remove(const std::string& id) { loop_->remove(id); }

}  // namespace skiff::runtime::internal
