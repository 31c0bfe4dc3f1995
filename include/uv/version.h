/* rsuv: version macros of the libuv API this library implements (MIT). */

#ifndef UV_VERSION_H
#define UV_VERSION_H

/*
 * rsuv tracks one upstream release exactly; programs compare these numbers
 * (or UV_VERSION_HEX) against uv_version() to detect the libuv they run on,
 * so they must name the libuv release whose ABI we reproduce, not our own
 * crate version.
 */
#define UV_VERSION_MAJOR 1
#define UV_VERSION_MINOR 52
#define UV_VERSION_PATCH 0
#define UV_VERSION_IS_RELEASE 1
#define UV_VERSION_SUFFIX ""

/* 0xMMmmpp, the same packing uv_version() returns. */
#define UV_VERSION_HEX ((UV_VERSION_MAJOR << 16) |                            \
                        (UV_VERSION_MINOR << 8) |                             \
                        (UV_VERSION_PATCH))

#endif /* UV_VERSION_H */
