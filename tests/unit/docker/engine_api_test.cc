#include "docker/engine_api.h"

#include <gtest/gtest.h>

#include "procfs/cgroup.h"

namespace thoth {
namespace {

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(DockerApi, ParsesContainerList) {
  auto parsed =
      ParseDockerContainerList(R"([{"Id":")" + kId + R"(","Names":["/thoth-api"],"State":"running"},
          {"Id":"fedcba987654","Names":[]},
          {"Id":"../../../etc/passwd","Names":["/evil"]},
          {"Id":"0123456789ABCDEF0123","Names":["/upper"]},
          {"Id":42,"Names":["/number"]},
          {"Names":["/noid"]},
          "not an object",
          {"Id":"aaaaaaaaaaaaaaaa","Names":[7]}])");
  ASSERT_TRUE(parsed.ok());
  const std::vector<DockerContainer>& list = *parsed;
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, kId);
  EXPECT_EQ(list[0].name, "thoth-api");
  EXPECT_EQ(list[1].name, "fedcba987654");  // no name: the short id
  EXPECT_EQ(list[2].name, "aaaaaaaaaaaa");
}

TEST(DockerApi, RejectsNonArrays) {
  auto not_array = ParseDockerContainerList(R"({"message":"page not found"})");
  EXPECT_FALSE(not_array.ok());
  EXPECT_FALSE(not_array.status().message().empty());
  EXPECT_FALSE(ParseDockerContainerList(R"([{"Id":")").ok());  // cut
  EXPECT_FALSE(ParseDockerContainerList("").ok());
  auto empty = ParseDockerContainerList("[]");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(DockerApi, ParsesInspect) {
  auto inspect = ParseDockerInspect(
      R"({"Id":"x","State":{"Status":"running","Pid":4242},"HostConfig":{"CgroupParent":"my.slice"}})");
  ASSERT_TRUE(inspect.ok());
  EXPECT_EQ(inspect->pid, 4242);
  EXPECT_EQ(inspect->cgroup_parent, "my.slice");
  inspect = ParseDockerInspect(R"({"State":{"Pid":"4242"},"HostConfig":[]})");
  ASSERT_TRUE(inspect.ok());
  EXPECT_EQ(inspect->pid, 0);  // wrong types are ignored
  EXPECT_EQ(inspect->cgroup_parent, "");
  EXPECT_FALSE(ParseDockerInspect("[1,2]").ok());
  EXPECT_FALSE(ParseDockerInspect("{\"State\":").ok());
}

TEST(DockerApi, Ids) {
  EXPECT_TRUE(IsDockerId(kId));
  EXPECT_TRUE(IsDockerId("0123456789ab"));
  EXPECT_FALSE(IsDockerId("0123456789a"));
  EXPECT_FALSE(IsDockerId(kId + "0"));
  EXPECT_FALSE(IsDockerId("0123456789aB"));
  EXPECT_FALSE(IsDockerId("../0123456789"));
}

TEST(DockerApi, CgroupCandidatesForBothDrivers) {
  auto def = DockerCgroupCandidates(kId, "");
  ASSERT_EQ(def.size(), 2u);
  EXPECT_EQ(def[0], "/docker/" + kId);                          // cgroupfs
  EXPECT_EQ(def[1], "/system.slice/docker-" + kId + ".scope");  // systemd

  auto slice = DockerCgroupCandidates(kId, "thoth-stack.slice");
  ASSERT_EQ(slice.size(), 1u);
  EXPECT_EQ(slice[0], "/thoth.slice/thoth-stack.slice/docker-" + kId + ".scope");

  auto parent = DockerCgroupCandidates(kId, "/custom/parent/");
  EXPECT_EQ(parent[0], "/custom/parent/" + kId);

  auto hostile = DockerCgroupCandidates(kId, "/../../etc");
  EXPECT_EQ(hostile[0], "/docker/" + kId);  // unsafe parent ignored

  EXPECT_TRUE(DockerCgroupCandidates("../etc", "").empty());

  // Found by fuzzing: a "slice" name with a NUL in it.
  auto nul = DockerCgroupCandidates(kId, std::string("{\0x-a-b.slice", 13));
  ASSERT_EQ(nul.size(), 2u);
  EXPECT_EQ(nul[0], "/docker/" + kId);
  auto dots = DockerCgroupCandidates(kId, "..-x.slice");
  for (const auto& p : dots) {
    EXPECT_TRUE(IsSafeCgroupPath(p)) << p;
  }
}

}  // namespace
}  // namespace thoth
