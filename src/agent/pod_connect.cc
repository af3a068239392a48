#include "agent/pod_connect.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace skiff::agent {
namespace {

// Connects inside the namespace; the socket, or -errno.
int connect_inside(const PodConnectRequest& request) {
  const bool v6 = request.family == 6;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int rc;
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = request.port;
    std::memcpy(&addr.sin6_addr, request.address, 16);
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = request.port;
    std::memcpy(&addr.sin_addr, request.address, 4);
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  if (rc != 0) {
    int error = errno;
    ::close(fd);
    return -error;
  }
  return fd;
}

bool answer(int channel, int32_t error, int fd) {
  iovec iov{&error, sizeof error};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  }
  for (;;) {
    if (::sendmsg(channel, &msg, MSG_NOSIGNAL) >= 0) return true;
    if (errno != EINTR) return false;
  }
}

}  // namespace

int pod_connect_main(int, char**) {
  for (;;) {
    PodConnectRequest request;
    ssize_t n = ::recv(kPodConnectFd, &request, sizeof request, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;  // the runtime closed its end
    if (static_cast<size_t>(n) != sizeof request) {
      if (!answer(kPodConnectFd, EINVAL, -1)) return 0;
      continue;
    }
    int fd = connect_inside(request);
    bool sent = fd >= 0 ? answer(kPodConnectFd, 0, fd) : answer(kPodConnectFd, -fd, -1);
    if (fd >= 0) ::close(fd);
    if (!sent) return 0;
  }
}

}  // namespace skiff::agent
