#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/status.h"

struct sockaddr;

namespace thoth::http {

// An IPv4 or IPv6 address, as connect(2) is given it.
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

  std::string ToString() const;
  // The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), which reaches a.b.c.d.
  std::optional<IpAddress> MappedV4() const;
};

// A literal address ("10.0.0.1", "fe80::1"; no brackets, no zone). nullopt for anything else.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// The address of an AF_INET or AF_INET6 socket address; nullopt for any other family.
std::optional<IpAddress> IpAddressFromSockaddr(const sockaddr* address);

// A network in CIDR notation ("169.254.0.0/16", "fd00:ec2::254/128"); a bare address is a
// network of one (/32 or /128). Bits set past the prefix are refused ("10.0.0.1/8"): such an
// entry usually means a typo, and silently masking it would deny something else.
class IpNetwork {
 public:
  // The network, or an error that says what is wrong with the entry.
  static StatusOr<IpNetwork> Parse(std::string_view text);

  // An IPv4 network also contains the IPv4-mapped IPv6 form of its addresses.
  bool Contains(const IpAddress& address) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  IpAddress base_;
  int prefix_ = 0;
};

// The first network of `networks` that contains `address`, or null.
const IpNetwork* FindNetwork(const std::vector<IpNetwork>& networks, const IpAddress& address);

// The default of probe.denied_networks: the link-local ranges and the cloud instance-metadata
// and platform addresses, which answer credentials to whoever can reach them.
const std::vector<std::string>& DefaultDeniedNetworks();

}  // namespace thoth::http
