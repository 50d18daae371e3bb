#include "procfs/read_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace thoth {

int ReadSmallFile(const std::string& path, std::string* out, std::size_t max_bytes,
                  bool stop_on_short_read) {
  out->clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[8192];
  int err = 0;
  while (out->size() < max_bytes) {
    std::size_t want = std::min(sizeof(buf), max_bytes - out->size());
    ssize_t n = ::read(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (n == 0) break;
    out->append(buf, static_cast<std::size_t>(n));
    if (stop_on_short_read && static_cast<std::size_t>(n) < want) break;
  }
  ::close(fd);
  return err;
}

}  // namespace thoth
