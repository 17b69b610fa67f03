// SPDX-License-Identifier: GPL-2.0-only
#include "mult/error.hpp"

#include <cerrno>
#include <cstring>

namespace mult {

std::string errno_string(int code)
{
    char buf[256];
    // GNU strerror_r: returns a pointer to the message, which may or may not
    // be `buf`.
    return ::strerror_r(code, buf, sizeof buf);
}

std::string Error::message() const
{
    std::string reason = errno_string(code);
    if (!detail.empty())
        reason = detail + " (" + reason + ")";
    if (context.empty())
        return reason;
    return context + ": " + reason;
}

std::unexpected<Error> make_error(int code, std::string context)
{
    return std::unexpected(Error{code, std::move(context), {}});
}

std::unexpected<Error> errno_error(const char* context)
{
    const int saved = errno;
    return std::unexpected(Error{saved, context, {}});
}

}  // namespace mult
