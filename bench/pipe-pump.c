/* pipe-pump: Unix-domain socket throughput (uv_pipe_bind to a /tmp path
 * with the pid in it, removed afterwards), 64 KiB writes with 16 in flight,
 * over 1 and over 100 connections. See pump.h for what is measured and checked. Optional
 * argument: MiB per measured run (default 2048). */
#define PUMP_PIPE 1
#include "pump.h"

int main(int argc, char** argv) {
  static const int conns[] = {1, 100};
  return pump_main(argc, argv, 2048, conns, 2);
}
