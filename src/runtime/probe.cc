#include "runtime/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace skiff::runtime::internal {
namespace {

using Mono = std::chrono::steady_clock;

int remaining_ms(Mono::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Mono::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, Mono::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n < 0 && errno == EINTR) continue;
    return n > 0 && (p.revents & events) != 0;
  }
}

}  // namespace

bool probe_local_port(const std::string& address, int port, bool http, const std::string& http_path,
                      Duration timeout) {
  if (port <= 0 || port > 65535) return false;
  const auto deadline = Mono::now() + std::chrono::duration_cast<Mono::duration>(timeout);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) return false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS || !wait_for(fd, POLLOUT, deadline)) return false;
    int error = 0;
    socklen_t len = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) return false;
  }
  if (!http) return true;

  const std::string path = http_path.empty() || http_path[0] != '/' ? "/" + http_path : http_path;
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: " + address + "\r\nUser-Agent: skiff-probe\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd, POLLOUT, deadline)) return false;
      continue;
    }
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  // "HTTP/1.x NNN ...": only the status line matters.
  std::string head;
  while (head.find('\n') == std::string::npos && head.size() < 1024) {
    if (!wait_for(fd, POLLIN, deadline)) return false;
    char buffer[256];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    head.append(buffer, static_cast<size_t>(n));
  }
  size_t space = head.find(' ');
  if (head.compare(0, 5, "HTTP/") != 0 || space == std::string::npos || head.size() < space + 4) return false;
  int status = std::atoi(head.substr(space + 1, 3).c_str());
  return status >= 200 && status < 400;
}

}  // namespace skiff::runtime::internal
