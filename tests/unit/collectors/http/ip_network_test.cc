#include "collectors/http/ip_network.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "gtest/gtest.h"

namespace thoth::http {
namespace {

IpAddress Ip(const std::string& text) {
  auto ip = ParseIpAddress(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(IpAddress{});
}

IpNetwork Net(const std::string& text) {
  auto n = IpNetwork::Parse(text);
  EXPECT_TRUE(n.ok()) << text << ": " << n.status().message();
  return n.ok() ? n.value() : IpNetwork::Parse("255.255.255.255").value();
}

std::string BadNet(const std::string& text) {
  auto n = IpNetwork::Parse(text);
  EXPECT_FALSE(n.ok()) << text;
  return n.status().message();
}

TEST(ParseIpAddress, StrictLiteralsOnly) {
  EXPECT_EQ(Ip("10.1.2.3").ToString(), "10.1.2.3");
  EXPECT_FALSE(Ip("10.1.2.3").v6);
  EXPECT_EQ(Ip("FE80::1").ToString(), "fe80::1");
  EXPECT_TRUE(Ip("::1").v6);
  // Forms a resolver may accept but a configuration entry should not be.
  for (const char* bad : {"", "010.1.2.3", "0x7f.0.0.1", "127.1", "1.2.3.4.5", "[::1]",
                          "fe80::1%eth0", "localhost", " 10.0.0.1", "10.0.0.1 "}) {
    EXPECT_FALSE(ParseIpAddress(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseIpAddress(std::string_view("10.0.0.1\0x", 10)).has_value());
}

TEST(IpNetwork, ContainsByPrefix) {
  const IpNetwork link_local = Net("169.254.0.0/16");
  EXPECT_TRUE(link_local.Contains(Ip("169.254.169.254")));
  EXPECT_TRUE(link_local.Contains(Ip("169.254.0.0")));
  EXPECT_TRUE(link_local.Contains(Ip("169.254.255.255")));
  EXPECT_FALSE(link_local.Contains(Ip("169.253.255.255")));
  EXPECT_FALSE(link_local.Contains(Ip("169.255.0.0")));
  EXPECT_FALSE(link_local.Contains(Ip("fe80::1")));

  const IpNetwork odd = Net("172.16.0.0/12");  // a prefix that ends inside a byte
  EXPECT_TRUE(odd.Contains(Ip("172.31.255.255")));
  EXPECT_FALSE(odd.Contains(Ip("172.32.0.0")));
  EXPECT_FALSE(odd.Contains(Ip("172.15.255.255")));

  const IpNetwork v6 = Net("fe80::/10");
  EXPECT_TRUE(v6.Contains(Ip("fe80::1")));
  EXPECT_TRUE(v6.Contains(Ip("febf:ffff::1")));
  EXPECT_FALSE(v6.Contains(Ip("fec0::1")));
  EXPECT_FALSE(v6.Contains(Ip("169.254.1.1")));

  const IpNetwork one = Net("fd00:ec2::254");  // a bare address is a network of one
  EXPECT_TRUE(one.Contains(Ip("fd00:ec2:0::254")));
  EXPECT_FALSE(one.Contains(Ip("fd00:ec2::255")));
  EXPECT_TRUE(Net("100.100.100.200").Contains(Ip("100.100.100.200")));
  EXPECT_FALSE(Net("100.100.100.200").Contains(Ip("100.100.100.201")));

  const IpNetwork all = Net("0.0.0.0/0");
  EXPECT_TRUE(all.Contains(Ip("255.255.255.255")));
  EXPECT_TRUE(all.Contains(Ip("1.2.3.4")));
  EXPECT_TRUE(Net("::/0").Contains(Ip("2001:db8::1")));
  EXPECT_FALSE(Net("::/0").Contains(Ip("1.2.3.4")));
}

TEST(IpNetwork, Ipv4MappedIpv6ReachesTheIpv4Address) {
  // connect() to ::ffff:169.254.169.254 on a dual-stack socket reaches 169.254.169.254.
  EXPECT_TRUE(Net("169.254.0.0/16").Contains(Ip("::ffff:169.254.169.254")));
  EXPECT_TRUE(Net("127.0.0.0/8").Contains(Ip("::ffff:7f00:1")));
  EXPECT_FALSE(Net("169.254.0.0/16").Contains(Ip("::ffff:10.0.0.1")));
  EXPECT_FALSE(Net("169.254.0.0/16").Contains(Ip("::169.254.169.254")));  // not mapped
}

TEST(IpNetwork, ErrorsSayWhatIsWrong) {
  EXPECT_NE(BadNet("10.0.0.0/33").find("at most 32"), std::string::npos);
  EXPECT_NE(BadNet("fe80::/129").find("at most 128"), std::string::npos);
  EXPECT_NE(BadNet("10.0.0.1/8").find("bits set past the /8"), std::string::npos);
  EXPECT_NE(BadNet("fe80::1/10").find("bits set past"), std::string::npos);
  EXPECT_NE(BadNet("10.0.0.0/").find("must be a number"), std::string::npos);
  EXPECT_NE(BadNet("10.0.0.0/-1").find("must be a number"), std::string::npos);
  EXPECT_NE(BadNet("10.0.0.0/8/8").find("must be a number"), std::string::npos);
  EXPECT_NE(BadNet("10.0.0.0/0008").find("must be a number"), std::string::npos);
  EXPECT_NE(BadNet("metadata.google.internal").find("CIDR"), std::string::npos);
  EXPECT_NE(BadNet("").find("CIDR"), std::string::npos);
  EXPECT_NE(BadNet("/8").find("CIDR"), std::string::npos);
}

TEST(IpNetwork, DefaultsCoverTheMetadataAddresses) {
  std::vector<IpNetwork> nets;
  for (const auto& text : DefaultDeniedNetworks()) nets.push_back(Net(text));
  for (const char* denied : {"169.254.169.254", "169.254.170.2", "169.254.170.23", "fe80::1",
                             "fd00:ec2::254", "fd20:ce::254", "100.100.100.200", "168.63.129.16",
                             "192.0.0.192", "::ffff:169.254.169.254"}) {
    EXPECT_NE(FindNetwork(nets, Ip(denied)), nullptr) << denied;
  }
  for (const char* allowed : {"127.0.0.1", "::1", "10.0.0.1", "192.168.1.1", "8.8.8.8"}) {
    EXPECT_EQ(FindNetwork(nets, Ip(allowed)), nullptr) << allowed;
  }
  EXPECT_EQ(FindNetwork(nets, Ip("169.254.169.254"))->text(), "169.254.0.0/16");
}

TEST(IpAddressFromSockaddr, Ipv4Ipv6AndNothingElse) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  inet_pton(AF_INET, "169.254.169.254", &in.sin_addr);
  auto a = IpAddressFromSockaddr(reinterpret_cast<const sockaddr*>(&in));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->ToString(), "169.254.169.254");

  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "fd00:ec2::254", &in6.sin6_addr);
  auto b = IpAddressFromSockaddr(reinterpret_cast<const sockaddr*>(&in6));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->ToString(), "fd00:ec2::254");

  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  EXPECT_FALSE(IpAddressFromSockaddr(reinterpret_cast<const sockaddr*>(&un)).has_value());
  EXPECT_FALSE(IpAddressFromSockaddr(nullptr).has_value());
}

}  // namespace
}  // namespace thoth::http
