#include "runtime/pod_network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace skiff::runtime::internal {

bool ListeningSocket::wildcard() const {
  size_t size = family == 4 ? 4 : 16;
  for (size_t i = 0; i < size; ++i) {
    if (address[i] != 0) return false;
  }
  return true;
}

std::vector<ListeningSocket> parse_listening(const std::string& table, int family) {
  constexpr char kListen[] = "0A";
  std::vector<ListeningSocket> out;
  std::istringstream lines(table);
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (!(fields >> slot >> local >> remote >> state) || state != kListen) continue;
    size_t colon = local.find(':');
    const size_t hex_size = family == 4 ? 8 : 32;
    if (colon != hex_size || local.size() != colon + 5) continue;
    ListeningSocket s;
    s.family = family;
    // The kernel prints each 32-bit word of the address as it lies in
    // memory, read as a host integer: copying the integer back restores
    // the bytes in network order.
    for (size_t word = 0; word < hex_size / 8; ++word) {
      uint32_t value = static_cast<uint32_t>(std::strtoul(local.substr(word * 8, 8).c_str(), nullptr, 16));
      std::memcpy(s.address + word * 4, &value, 4);
    }
    s.port = static_cast<uint16_t>(std::strtoul(local.substr(colon + 1).c_str(), nullptr, 16));
    out.push_back(s);
  }
  return out;
}

// /proc files report a size of 0: read until the end.
std::string read_proc_file(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::string choose_pod_ip(const std::set<std::string>& taken) {
  // Addresses the host's own sockets are bound to (listening or not).
  std::set<std::string> bound = taken;
  for (int family : {4, 6}) {
    std::string table = read_proc_file(family == 4 ? "/proc/self/net/tcp" : "/proc/self/net/tcp6");
    std::istringstream lines(table);
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string slot, local;
      if (!(fields >> slot >> local)) continue;
      // IPv4 addresses, and IPv4-mapped ones in tcp6 (::ffff:a.b.c.d).
      std::string hex = family == 4 ? local.substr(0, 8) : local.size() >= 32 ? local.substr(24, 8) : "";
      if (hex.size() != 8) continue;
      uint32_t value = static_cast<uint32_t>(std::strtoul(hex.c_str(), nullptr, 16));
      char text[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &value, text, sizeof text);
      bound.insert(text);
    }
  }
  // Another skiff on this host chooses from the same range: starting at a
  // place that depends on the process makes their choices rarely meet.
  constexpr unsigned kCount = 65534;
  unsigned start = static_cast<unsigned>(::getpid()) * 2654435761u % kCount;
  for (unsigned i = 0; i < kCount; ++i) {
    unsigned n = 1 + (start + i) % kCount;
    std::string ip = "127.10." + std::to_string(n >> 8) + "." + std::to_string(n & 0xff);
    if (!bound.count(ip)) return ip;
  }
  return "";
}

}  // namespace skiff::runtime::internal
