// Benchmarks the CRC-32 of binlog events: zlib's crc32 next to Crc32 (carry-less multiplication
// where the CPU has it) on an 8 KiB buffer (a typical rows event) and a 1 MiB one, in one run.
// Prints MB/s (10^6 bytes per second) of each and their ratio.
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/crc32.h"

namespace {

uint32_t ZlibCrc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

// MB/s of `fn` over `buf`, hashing about `total` bytes.
template <typename Fn>
double Measure(const std::string& buf, size_t total, Fn&& fn, uint32_t* sink) {
  size_t iterations = std::max<size_t>(1, total / buf.size());
  for (size_t i = 0; i < std::min<size_t>(iterations, 64); ++i) *sink += fn(buf);  // warm up
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < iterations; ++i) *sink += fn(buf);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(iterations * buf.size()) / s / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  size_t total_mb = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000;
  int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  size_t total = total_mb << 20;

  std::printf("crc32: %zu MiB per measurement, %d runs, carry-less multiplication: %s\n", total_mb,
              repeats, vimur::Crc32Accelerated() ? "yes" : "no (zlib)");
  uint32_t sink = 0;
  for (size_t size : {size_t{8} << 10, size_t{1} << 20}) {
    std::string buf(size, '\0');
    std::mt19937 rng(42);
    for (char& c : buf) c = static_cast<char>(rng());
    if (vimur::Crc32(buf) != ZlibCrc(buf)) {
      std::fprintf(stderr, "crc32 mismatch on %zu bytes\n", size);
      return 1;
    }
    std::vector<double> zlib_rates, fast_rates;
    for (int r = 0; r < repeats; ++r) {
      zlib_rates.push_back(Measure(buf, total, ZlibCrc, &sink));
      fast_rates.push_back(Measure(buf, total, vimur::Crc32, &sink));
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    double zm = median(zlib_rates), fm = median(fast_rates);
    std::printf("%7zu bytes  zlib %9.0f MB/s  Crc32 %9.0f MB/s  Crc32/zlib %.2f\n", size, zm, fm,
                fm / zm);
  }
  std::printf("(checksum of all runs %08x)\n", sink);
  return 0;
}
