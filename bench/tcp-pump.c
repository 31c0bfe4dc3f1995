/* tcp-pump: loopback TCP throughput, 64 KiB writes with 16 in flight per
 * connection, over 1 and over 100 connections (the total is spread over the
 * connections). See pump.h for what is measured and checked. Optional
 * argument: MiB per measured run (default 1024). */
#include "pump.h"

int main(int argc, char** argv) {
  static const int conns[] = {1, 100};
  return pump_main(argc, argv, 1024, conns, 2);
}
