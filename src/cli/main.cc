#include <cstdio>

int main(int argc, char** argv) {
  std::puts("vimur " VIMUR_VERSION);
  return 0;
}
