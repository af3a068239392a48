// The pod connector: what lets the host reach servers inside a pod's own
// network namespace without any privilege. The runtime starts it inside the
// namespace (`nsenter --net`, and `--user` when the sandbox has a user
// namespace of its own) as `skiff pod-connect`, with one end of a unix
// SOCK_SEQPACKET socket pair as fd 3. For every request it connects to a
// port inside the namespace and hands the connected socket back over the
// pair (SCM_RIGHTS), so the runtime relays the bytes in its own process.
//
// Protocol, one message each way per request, answered in order:
//   request:  a PodConnectRequest (port and address, network byte order)
//   answer:   a 4-byte errno value (0: connected) with the socket attached
//             when it is 0
// It exits 0 when the runtime closes its end (or dies).
#pragma once

#include <cstdint>

namespace skiff::agent {

struct PodConnectRequest {
  uint8_t family = 4;      // 4: IPv4, 6: IPv6
  uint8_t pad = 0;
  uint16_t port = 0;       // network byte order
  uint8_t address[16]{};   // the first 4 bytes for IPv4
};

// The fd the runtime passes the socket pair's end on.
inline constexpr int kPodConnectFd = 3;

// argv[0] is "pod-connect"; returns 0 once the runtime closed its end.
int pod_connect_main(int argc, char** argv);

}  // namespace skiff::agent
