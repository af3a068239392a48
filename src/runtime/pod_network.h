// Pods with a network of their own (internal to the local runtime).
//
// A daemon step runs in a network namespace of its own (bubblewrap
// --unshare-net: loopback only, no privilege needed), so two daemons may
// listen on the same port as two Kubernetes pods do. Each such pod gets an
// address on the host's loopback (127.10.x.y), its "pod IP". The forwarder
// finds the ports a pod listens on (its /proc/<pid>/net/tcp and tcp6,
// polled) and listens on <pod IP>:<port> on the host; every connection it
// accepts is relayed to the same port inside the namespace, through a socket
// the pod connector (agent/pod_connect.h, started inside the namespace with
// nsenter) connects there and hands back. Steps on the host's network reach
// the daemon at its pod IP, and so do the runtime's readiness probes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace skiff::runtime::internal {

// A socket in LISTEN state, from /proc/<pid>/net/tcp or tcp6.
struct ListeningSocket {
  int family = 4;  // 4 or 6
  uint8_t address[16]{};  // network order; the first 4 bytes for IPv4
  uint16_t port = 0;      // host order
  bool wildcard() const;
};

// The LISTEN entries of a /proc/net/tcp (`family` 4) or tcp6 (6) table.
std::vector<ListeningSocket> parse_listening(const std::string& table, int family);

// The whole of a /proc file (their size reads as 0); "" when unreadable.
std::string read_proc_file(const std::string& path);

// An address of 127.10.0.0/16 that neither `taken` nor any socket of this
// host's network (its tcp and tcp6 tables) uses; "" when none is left.
std::string choose_pod_ip(const std::set<std::string>& taken);

struct ForwarderOptions {
  std::string nsenter;  // the nsenter executable
  // The program that serves `pod-connect` (skiff-step, or skiff).
  std::string connector;
};

// Owns a thread of its own, with its own epoll set: listeners, relays and
// the scans of each pod's listening ports. Thread-safe.
class PodForwarder {
 public:
  explicit PodForwarder(const ForwarderOptions& options);
  ~PodForwarder();  // closes every listener and relay, ends the connectors
  PodForwarder(const PodForwarder&) = delete;
  PodForwarder& operator=(const PodForwarder&) = delete;

  // Starts forwarding `ip` to the network namespace of process `ns_pid`.
  void add(const std::string& id, const std::string& ip, pid_t ns_pid);
  // Stops listening for the pod; connections already relayed go on until
  // either side closes.
  void remove(const std::string& id);

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace skiff::runtime::internal
