// SetThreadName: names the calling thread as `top -H`, `ps -L` and /proc/PID/task/*/comm show
// it, so that operators and benchmarks can tell a pipeline's threads apart.
#pragma once

#include <pthread.h>

#include <string>

namespace vimur {

// Linux keeps the first 15 bytes of `name`. The main thread keeps the process's name.
inline void SetThreadName(const std::string& name) {
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace vimur
