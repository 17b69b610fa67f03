// SPDX-License-Identifier: GPL-2.0-only
//
// Explicit error values for libmult.
//
// Every fallible libmult call returns Result<T>: either the value or an Error
// that carries the errno the kernel reported plus a short context naming the
// operation. Exceptions are not used, because much of libmult runs between
// clone3() and execve() in a child where unwinding is not safe, and because
// callers (instfork, instctl) need the raw errno to explain *why* the kernel
// refused an instance (see kernel.hpp: describe_instfork_error()).
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace mult {

struct Error {
    Error() = default;
    // Not an aggregate, so that Error{code, context} needs no detail (and
    // -Wmissing-field-initializers stays quiet in callers).
    Error(int code_, std::string context_, std::string detail_ = {})
        : code(code_), context(std::move(context_)), detail(std::move(detail_))
    {
    }

    int code = 0;          // an errno value (EINVAL, EPERM, ...)
    std::string context;   // what was attempted, e.g. "clone3(CLONE_NEWINST)"
    // The kernel's own explanation when it gave one (a netlink extended ack,
    // e.g. "no instance with this name"): more precise than strerror(code).
    std::string detail;

    // "context: strerror(code)", or just strerror(code) without a context;
    // with a detail, "context: detail (strerror(code))".
    [[nodiscard]] std::string message() const;
};

template <class T>
using Result = std::expected<T, Error>;

// strerror() is not thread-safe; this wraps the GNU strerror_r().
[[nodiscard]] std::string errno_string(int code);

// Builds the unexpected value for a Result. Pass an errno saved *before* the
// context string is built: building it may allocate and clobber errno.
[[nodiscard]] std::unexpected<Error> make_error(int code, std::string context);

// Same, capturing errno at the call. Only for literal contexts, for the reason
// given above.
[[nodiscard]] std::unexpected<Error> errno_error(const char* context);

}  // namespace mult
