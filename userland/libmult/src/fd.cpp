// SPDX-License-Identifier: GPL-2.0-only
//
// Closing all fds but a keep-list, without allocating.
//
// The keep-list is not sorted (sorting would need a copy, i.e. memory): each
// step looks for the smallest kept fd at or above the current position and
// closes the gap below it. That is O(n²) in the keep-list length, which is a
// handful of fds (stdio, --pass-fd, the exec-report pipe).
#include "mult/fd.hpp"

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mult {
namespace {

// Smallest entry of `keep` that is >= `from`, or -1.
int next_kept(std::span<const int> keep, unsigned int from) noexcept
{
    long best = -1;
    for (int fd : keep) {
        if (fd < 0 || static_cast<unsigned int>(fd) < from)
            continue;
        if (best < 0 || fd < best)
            best = fd;
    }
    return static_cast<int>(best);
}

bool is_kept(std::span<const int> keep, int fd) noexcept
{
    for (int k : keep)
        if (k == fd)
            return true;
    return false;
}

// Parses a /proc/self/fd entry name; -1 for "." and "..".
int parse_fd_name(const char* name) noexcept
{
    if (*name == '\0')
        return -1;
    long value = 0;
    for (const char* p = name; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9')
            return -1;
        value = value * 10 + (*p - '0');
        if (value > INT_MAX)
            return -1;
    }
    return static_cast<int>(value);
}

// Layout of the records getdents64(2) fills in (struct linux_dirent64).
struct Dirent64 {
    std::uint64_t d_ino;
    std::int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[1];
};

}  // namespace

namespace detail {

int close_fds_except_close_range(std::span<const int> keep) noexcept
{
    unsigned int lo = 0;
    for (;;) {
        const int kept = next_kept(keep, lo);
        const unsigned int hi = kept < 0 ? ~0U : static_cast<unsigned int>(kept);
        if (hi > lo) {
            const unsigned int last = kept < 0 ? ~0U : hi - 1;
            if (::syscall(SYS_close_range, lo, last, 0U) != 0)
                return errno;
        }
        if (kept < 0)
            return 0;
        lo = static_cast<unsigned int>(kept) + 1;
    }
}

int close_fds_except_procfs(std::span<const int> keep) noexcept
{
    const int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return errno;

    // Closing entries already returned is safe: procfs iterates the fd table
    // by number from the directory offset, so later entries are not skipped.
    alignas(Dirent64) char buf[4096];
    for (;;) {
        const long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
        if (n < 0) {
            const int err = errno;
            ::close(dir);
            return err;
        }
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            // The records are not fixed-size; memcpy the header fields rather
            // than casting, so no misaligned or aliasing access is formed.
            unsigned short reclen = 0;
            std::memcpy(&reclen, buf + off + offsetof(Dirent64, d_reclen), sizeof reclen);
            const char* name = buf + off + offsetof(Dirent64, d_name);
            const int fd = parse_fd_name(name);
            if (fd >= 0 && fd != dir && !is_kept(keep, fd))
                ::close(fd);
            off += reclen;
        }
    }
    ::close(dir);
    return 0;
}

int close_fds_except_bruteforce(std::span<const int> keep) noexcept
{
    // Last resort without close_range and without /proc. Fds numbered at or
    // above the soft RLIMIT_NOFILE (possible if the limit was lowered after
    // they were opened) are missed; a cap keeps a huge limit from costing
    // billions of syscalls.
    struct rlimit rl {};
    rlim_t limit = 1024;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        limit = rl.rlim_cur;
    constexpr rlim_t cap = 1U << 20;
    if (limit > cap)
        limit = cap;
    for (rlim_t fd = 0; fd < limit; ++fd) {
        const int ifd = static_cast<int>(fd);
        if (!is_kept(keep, ifd))
            ::close(ifd);
    }
    return 0;
}

}  // namespace detail

namespace async_safe {

int close_fds_except(std::span<const int> keep) noexcept
{
    const int err = detail::close_fds_except_close_range(keep);
    if (err != ENOSYS && err != EPERM)
        return err;
    if (detail::close_fds_except_procfs(keep) == 0)
        return 0;
    return detail::close_fds_except_bruteforce(keep);
}

int set_cloexec(int fd, bool on) noexcept
{
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0)
        return errno;
    const int wanted = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    if (wanted != flags && ::fcntl(fd, F_SETFD, wanted) < 0)
        return errno;
    return 0;
}

}  // namespace async_safe

Result<Pipe> make_pipe(int flags)
{
    int fds[2];
    if (::pipe2(fds, flags) != 0)
        return errno_error("pipe2");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<Pipe> make_pipe()
{
    return make_pipe(O_CLOEXEC);
}

bool fd_is_open(int fd) noexcept
{
    return fd >= 0 && ::fcntl(fd, F_GETFD) >= 0;
}

Result<void> set_cloexec(int fd, bool on)
{
    if (const int err = async_safe::set_cloexec(fd, on); err != 0)
        return make_error(err, "fcntl(F_SETFD) on fd " + std::to_string(fd));
    return {};
}

Result<void> close_fds_except(std::span<const int> keep)
{
    if (const int err = async_safe::close_fds_except(keep); err != 0)
        return make_error(err, "closing inherited file descriptors");
    return {};
}

}  // namespace mult
