/* spawn-1g: as spawn.c, from a parent with 1 GiB resident (malloc'd and
 * written before timing, 4 KiB pages); see spawn.h. A fork(2)-based
 * uv_spawn copies the page tables of that GiB on every spawn, a
 * vfork-style one does not. The count argument is the number of spawns for
 * 8 in flight (a quarter of it for 1). */
#include "spawn.h"

int main(int argc, char** argv) {
  return spawn_main(argc, argv, "spawn-1g", 1024, 100);
}
