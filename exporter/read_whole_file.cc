#include "exporter/read_whole_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace thoth {

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace thoth
