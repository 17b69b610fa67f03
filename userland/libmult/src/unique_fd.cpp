// SPDX-License-Identifier: GPL-2.0-only
#include "mult/unique_fd.hpp"

#include <cerrno>
#include <unistd.h>

namespace mult {

void UniqueFd::reset(int fd) noexcept
{
    const int old = std::exchange(fd_, fd);
    if (old >= 0 && old != fd) {
        const int saved = errno;
        ::close(old);  // no retry on EINTR: the fd is gone either way on Linux
        errno = saved;
    }
}

}  // namespace mult
