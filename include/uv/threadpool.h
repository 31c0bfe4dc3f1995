/* rsuv: thread-pool work item type of the libuv 1.52 API (MIT). */

#ifndef UV_THREADPOOL_H_
#define UV_THREADPOOL_H_

/*
 * libuv exposes its thread-pool work item because uv_random_t embeds one in
 * the public header and a few embedders reuse it.  Its shape (two callbacks,
 * the owning loop and a queue link: 40 bytes) is therefore part of the ABI.
 * Requires struct uv__queue, which uv.h declares before including this.
 */
struct uv_loop_s;

struct uv__work {
  void (*work)(struct uv__work* w);
  void (*done)(struct uv__work* w, int status);
  struct uv_loop_s* loop;
  struct uv__queue wq;
};

#endif /* UV_THREADPOOL_H_ */
