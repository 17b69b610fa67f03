// SPDX-License-Identifier: GPL-2.0-only
//
// UniqueFd: sole ownership of a file descriptor.
//
// Instances make fd hygiene a security property (design R5: the fds an
// instance inherits are the creator's explicit choice), so every fd libmult
// and instfork open is owned by exactly one UniqueFd and closed when that
// owner goes away; nothing is left to leak into a child by accident.
#pragma once

#include <utility>

namespace mult {

class UniqueFd {
public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    ~UniqueFd() { reset(); }

    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept
    {
        if (this != &other)
            reset(other.release());
        return *this;
    }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return valid(); }

    // Gives up ownership without closing; the caller now owns the fd.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

    // Closes the owned fd (if any) and takes ownership of `fd`.
    // close() errors are deliberately ignored: on Linux the descriptor is
    // released even when close() fails (EINTR included), so retrying could
    // close an fd another thread has just been given. errno is preserved so
    // an owner going out of scope on an error path does not clobber it.
    void reset(int fd = -1) noexcept;

    friend void swap(UniqueFd& a, UniqueFd& b) noexcept { std::swap(a.fd_, b.fd_); }

private:
    int fd_ = -1;
};

}  // namespace mult
