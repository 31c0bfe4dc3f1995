/* spawn: uv_spawn() of /bin/true from a small parent, 1 (resp. 8)
 * processes in flight; see spawn.h. The count argument is the number of
 * spawns for 8 in flight (a quarter of it for 1). */
#include "spawn.h"

int main(int argc, char** argv) {
  return spawn_main(argc, argv, "spawn", 0, 3000);
}
