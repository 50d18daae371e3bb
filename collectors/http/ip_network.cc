#include "collectors/http/ip_network.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace thoth::http {

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf) == nullptr) return "?";
  return buf;
}

std::optional<IpAddress> IpAddress::MappedV4() const {
  static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!v6 || std::memcmp(bytes.data(), kPrefix, sizeof kPrefix) != 0) return std::nullopt;
  IpAddress v4;
  std::copy(bytes.begin() + 12, bytes.end(), v4.bytes.begin());
  return v4;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  // inet_pton wants a NUL-terminated string and accepts only the strict dotted-quad IPv4 form
  // (no octal, hex or short forms), which is what a configuration entry should be.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  if (s.find('\0') != std::string::npos) return std::nullopt;
  IpAddress out;
  if (inet_pton(AF_INET, s.c_str(), out.bytes.data()) == 1) return out;
  out.v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), out.bytes.data()) == 1) return out;
  return std::nullopt;
}

std::optional<IpAddress> IpAddressFromSockaddr(const sockaddr* address) {
  if (address == nullptr) return std::nullopt;
  IpAddress out;
  if (address->sa_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, address, sizeof in);
    std::memcpy(out.bytes.data(), &in.sin_addr, 4);
    return out;
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, address, sizeof in6);
    out.v6 = true;
    std::memcpy(out.bytes.data(), &in6.sin6_addr, 16);
    return out;
  }
  return std::nullopt;
}

StatusOr<IpNetwork> IpNetwork::Parse(std::string_view text) {
  IpNetwork n;
  n.text_ = std::string(text);
  const auto slash = text.find('/');
  auto address = ParseIpAddress(text.substr(0, slash));
  if (!address) {
    return Status::Error(
        "expected an IPv4 or IPv6 network in CIDR notation, e.g. 10.0.0.0/8 or fe80::/10");
  }
  n.base_ = *address;
  const int max_prefix = address->v6 ? 128 : 32;
  if (slash == std::string_view::npos) {
    n.prefix_ = max_prefix;
    return n;
  }
  const std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 ||
      !std::all_of(digits.begin(), digits.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return Status::Error("the prefix length after / must be a number");
  }
  n.prefix_ = std::stoi(std::string(digits));
  if (n.prefix_ > max_prefix) {
    return Status::Error("the prefix length must be at most " + std::to_string(max_prefix));
  }
  for (int bit = n.prefix_; bit < max_prefix; ++bit) {
    if ((n.base_.bytes[bit / 8] >> (7 - bit % 8)) & 1) {
      return Status::Error("the address has bits set past the /" + std::to_string(n.prefix_) +
                           " prefix (a typo?)");
    }
  }
  return n;
}

bool IpNetwork::Contains(const IpAddress& address) const {
  if (address.v6 != base_.v6) {
    if (base_.v6) return false;
    auto v4 = address.MappedV4();
    return v4 && Contains(*v4);
  }
  const int full = prefix_ / 8;
  if (std::memcmp(address.bytes.data(), base_.bytes.data(), full) != 0) return false;
  const int rest = prefix_ % 8;
  if (rest == 0) return true;
  const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address.bytes[full] & mask) == (base_.bytes[full] & mask);
}

const IpNetwork* FindNetwork(const std::vector<IpNetwork>& networks, const IpAddress& address) {
  for (const auto& n : networks) {
    if (n.Contains(address)) return &n;
  }
  return nullptr;
}

const std::vector<std::string>& DefaultDeniedNetworks() {
  static const std::vector<std::string> kDefault = {
      "169.254.0.0/16",      // IPv4 link-local: the metadata service of AWS, GCP, Azure, OpenStack,
                             // DigitalOcean, Oracle (169.254.169.254), ECS/EKS credentials
                             // (169.254.170.2, 169.254.170.23)
      "fe80::/10",           // IPv6 link-local
      "fd00:ec2::254/128",   // AWS instance metadata over IPv6
      "fd00:ec2::23/128",    // AWS EKS pod identity over IPv6
      "fd20:ce::254/128",    // Google Cloud metadata over IPv6
      "100.100.100.200/32",  // Alibaba Cloud metadata
      "168.63.129.16/32",    // Azure WireServer
      "192.0.0.192/32",      // Oracle Cloud (legacy metadata)
  };
  return kDefault;
}

}  // namespace thoth::http
