// SPDX-License-Identifier: GPL-2.0-only
//
// Test helper: writes the numbers of the fds it was started with to the fd
// given as argv[1], one per line, ascending. Used instead of a shell, whose
// own fds (dash keeps a few) would blur what the command inherited.
#include <cstdlib>
#include <dirent.h>
#include <set>
#include <string>
#include <unistd.h>

int main(int argc, char** argv)
{
    if (argc != 2)
        return 2;
    const int out = std::atoi(argv[1]);
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
        return 3;
    std::set<int> fds;
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] != '.')
            fds.insert(std::atoi(e->d_name));
    }
    fds.erase(::dirfd(dir));
    ::closedir(dir);
    std::string text;
    for (const int fd : fds)
        text += std::to_string(fd) + "\n";
    return ::write(out, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : 4;
}
