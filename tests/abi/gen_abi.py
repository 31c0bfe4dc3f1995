#!/usr/bin/env python3
"""Generates the C sources tests/abi/run.sh compiles.

The reference table (shared/abi/libuv-1.52-linux-x86_64.txt, beside the repository) has two
kinds of lines:

    sizeof TYPE N
    field TYPE.FIELD OFFSET SIZE

`table` writes a program printing the same lines computed with sizeof and
offsetof against whichever uv.h it is compiled with, so running it and
diffing with the table checks a header.  `probe-table` / `probe-consts`
write one tiny translation unit per entry; run.sh compiles them against a
foreign header (Debian's libuv 1.44) to learn which entries that header
declares at all.  `consts` prints enumerator and macro values, `protos`
references every exported function so a missing prototype fails to compile.

Usage:
  gen_abi.py table  TABLE INCLUDE [KEYS]  > prog.c
  gen_abi.py consts INCLUDE [NAMES]       > prog.c
  gen_abi.py probe-table  TABLE INCLUDE OUTDIR
  gen_abi.py probe-consts INCLUDE OUTDIR
  gen_abi.py protos FUNCS INCLUDE         > protos.c
  gen_abi.py const-names

INCLUDE is the text after #include, e.g. '<uv.h>' or '"/usr/include/uv.h"'.
KEYS / NAMES optionally name a file listing the table keys (first two
columns of a table line) or constant names to restrict the output to.
"""

import os
import sys

# Integer constants of the 1.52 API outside the three XX maps (those are
# expanded by the generated program itself, so a foreign header contributes
# exactly the names its own maps contain).  Version macros are not listed:
# they differ from any other release by design and compile_test.c pins them.
CONSTANTS = """
UV_ERRNO_MAX
UV_UNKNOWN_HANDLE UV_FILE UV_HANDLE_TYPE_MAX
UV_UNKNOWN_REQ UV_REQ_TYPE_MAX
UV_LOOP_BLOCK_SIGNAL UV_METRICS_IDLE_TIME UV_LOOP_USE_IO_URING_SQPOLL
UV_RUN_DEFAULT UV_RUN_ONCE UV_RUN_NOWAIT
UV_CLOCK_MONOTONIC UV_CLOCK_REALTIME
UV_LEAVE_GROUP UV_JOIN_GROUP
UV_TCP_IPV6ONLY UV_TCP_REUSEPORT
UV_UDP_IPV6ONLY UV_UDP_PARTIAL UV_UDP_REUSEADDR UV_UDP_MMSG_CHUNK
UV_UDP_MMSG_FREE UV_UDP_LINUX_RECVERR UV_UDP_REUSEPORT UV_UDP_RECVMMSG
UV_TTY_MODE_NORMAL UV_TTY_MODE_RAW UV_TTY_MODE_IO UV_TTY_MODE_RAW_VT
UV_TTY_SUPPORTED UV_TTY_UNSUPPORTED
UV_PIPE_NO_TRUNCATE
UV_READABLE UV_WRITABLE UV_DISCONNECT UV_PRIORITIZED
UV_IGNORE UV_CREATE_PIPE UV_INHERIT_FD UV_INHERIT_STREAM
UV_READABLE_PIPE UV_WRITABLE_PIPE UV_NONBLOCK_PIPE UV_OVERLAPPED_PIPE
UV_PROCESS_SETUID UV_PROCESS_SETGID UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS
UV_PROCESS_DETACHED UV_PROCESS_WINDOWS_HIDE UV_PROCESS_WINDOWS_HIDE_CONSOLE
UV_PROCESS_WINDOWS_HIDE_GUI UV_PROCESS_WINDOWS_FILE_PATH_EXACT_NAME
UV_DIRENT_UNKNOWN UV_DIRENT_FILE UV_DIRENT_DIR UV_DIRENT_LINK
UV_DIRENT_FIFO UV_DIRENT_SOCKET UV_DIRENT_CHAR UV_DIRENT_BLOCK
UV_FS_UNKNOWN UV_FS_CUSTOM UV_FS_OPEN UV_FS_CLOSE UV_FS_READ UV_FS_WRITE
UV_FS_SENDFILE UV_FS_STAT UV_FS_LSTAT UV_FS_FSTAT UV_FS_FTRUNCATE
UV_FS_UTIME UV_FS_FUTIME UV_FS_ACCESS UV_FS_CHMOD UV_FS_FCHMOD UV_FS_FSYNC
UV_FS_FDATASYNC UV_FS_UNLINK UV_FS_RMDIR UV_FS_MKDIR UV_FS_MKDTEMP
UV_FS_RENAME UV_FS_SCANDIR UV_FS_LINK UV_FS_SYMLINK UV_FS_READLINK
UV_FS_CHOWN UV_FS_FCHOWN UV_FS_REALPATH UV_FS_COPYFILE UV_FS_LCHOWN
UV_FS_OPENDIR UV_FS_READDIR UV_FS_CLOSEDIR UV_FS_STATFS UV_FS_MKSTEMP
UV_FS_LUTIME
UV_FS_COPYFILE_EXCL UV_FS_COPYFILE_FICLONE UV_FS_COPYFILE_FICLONE_FORCE
UV_FS_SYMLINK_DIR UV_FS_SYMLINK_JUNCTION
UV_RENAME UV_CHANGE
UV_FS_EVENT_WATCH_ENTRY UV_FS_EVENT_STAT UV_FS_EVENT_RECURSIVE
UV_FS_O_APPEND UV_FS_O_CREAT UV_FS_O_DIRECT UV_FS_O_DIRECTORY UV_FS_O_DSYNC
UV_FS_O_EXCL UV_FS_O_EXLOCK UV_FS_O_NOATIME UV_FS_O_NOCTTY UV_FS_O_NOFOLLOW
UV_FS_O_NONBLOCK UV_FS_O_RDONLY UV_FS_O_RDWR UV_FS_O_SYMLINK UV_FS_O_SYNC
UV_FS_O_TRUNC UV_FS_O_WRONLY UV_FS_O_FILEMAP UV_FS_O_RANDOM
UV_FS_O_SHORT_LIVED UV_FS_O_SEQUENTIAL UV_FS_O_TEMPORARY
UV_IF_NAMESIZE UV_MAXHOSTNAMESIZE
UV_PRIORITY_LOW UV_PRIORITY_BELOW_NORMAL UV_PRIORITY_NORMAL
UV_PRIORITY_ABOVE_NORMAL UV_PRIORITY_HIGH UV_PRIORITY_HIGHEST
UV_THREAD_PRIORITY_HIGHEST UV_THREAD_PRIORITY_ABOVE_NORMAL
UV_THREAD_PRIORITY_NORMAL UV_THREAD_PRIORITY_BELOW_NORMAL
UV_THREAD_PRIORITY_LOWEST
UV_THREAD_NO_FLAGS UV_THREAD_HAS_STACK_SIZE
""".split()


def die(msg):
    sys.stderr.write("gen_abi.py: %s\n" % msg)
    sys.exit(2)


def read_table(path):
    """Returns [(key, kind, type, field)] in file order."""
    entries = []
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            words = raw.split()
            if not words or words[0].startswith("#"):
                continue
            if words[0] == "sizeof" and len(words) == 3:
                entries.append(("sizeof " + words[1], "sizeof", words[1], None))
            elif words[0] == "field" and len(words) == 4 and "." in words[1]:
                typ, field = words[1].split(".", 1)
                entries.append(("field " + words[1], "field", typ, field))
            else:
                die("%s:%d: unrecognised line: %r" % (path, lineno, raw))
    return entries


def read_list(path):
    with open(path) as f:
        return [l.strip() for l in f if l.strip()]


def prologue(include):
    return ("#include %s\n"
            "#include <stddef.h>\n"
            "#include <stdio.h>\n\n" % include)


def gen_table(table, include, keys_file=None):
    entries = read_table(table)
    if keys_file is not None:
        wanted = set(read_list(keys_file))
        entries = [e for e in entries if e[0] in wanted]
    out = [prologue(include), "int main(void) {\n"]
    for key, kind, typ, field in entries:
        if kind == "sizeof":
            out.append('  printf("sizeof %s %%lu\\n", (unsigned long)sizeof(%s));\n'
                       % (typ, typ))
        else:
            top = field.split(".")[0]
            out.append('  printf("field %s.%s %%lu %%lu\\n", '
                       '(unsigned long)offsetof(%s, %s), '
                       '(unsigned long)sizeof(((%s*)0)->%s));\n'
                       % (typ, top, typ, field, typ, field))
    out.append("  return 0;\n}\n")
    return "".join(out)


def gen_consts(include, names_file=None):
    names = CONSTANTS if names_file is None else read_list(names_file)
    out = [prologue(include),
           "#define ERR(name, msg) printf(\"const UV_%s %ld\\n\", #name, (long)UV_##name);\n"
           "#define MSG(name, msg) printf(\"errmsg UV_%s %s\\n\", #name, msg);\n"
           "#define KIND(up, low) printf(\"const UV_%s %ld\\n\", #up, (long)UV_##up);\n"
           "#define ANY(up, low) printf(\"any %s %lu\\n\", #low, (unsigned long)sizeof(uv_##low##_t));\n\n"
           "int main(void) {\n"
           "  UV_ERRNO_MAP(ERR)\n"
           "  UV_ERRNO_MAP(MSG)\n"
           "  UV_HANDLE_TYPE_MAP(KIND)\n"
           "  UV_REQ_TYPE_MAP(KIND)\n"
           "  UV_HANDLE_TYPE_MAP(ANY)\n"
           "  UV_REQ_TYPE_MAP(ANY)\n"]
    for n in names:
        out.append('  printf("const %s %%ld\\n", (long)(%s));\n' % (n, n))
    out.append("  return 0;\n}\n")
    return "".join(out)


def write_probes(outdir, include, items):
    """items: [(name, expression)]; one TU per item, named by index."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "index"), "w") as idx:
        for i, (name, expr) in enumerate(items):
            with open(os.path.join(outdir, "p%04d.c" % i), "w") as f:
                f.write("#include %s\n#include <stddef.h>\n"
                        "extern const long rsuv_probe;\n"
                        "const long rsuv_probe = (long)(%s);\n" % (include, expr))
            idx.write("p%04d\t%s\n" % (i, name))


def probe_table(table, include, outdir):
    items = []
    for key, kind, typ, field in read_table(table):
        if kind == "sizeof":
            items.append((key, "sizeof(%s)" % typ))
        else:
            items.append((key, "offsetof(%s, %s) + sizeof(((%s*)0)->%s)"
                          % (typ, field, typ, field)))
    write_probes(outdir, include, items)


def probe_consts(include, outdir):
    write_probes(outdir, include, [(n, n) for n in CONSTANTS])


def gen_protos(funcs_file, include):
    funcs = read_list(funcs_file)
    out = [prologue(include),
           "/* Each line fails to compile unless the function is declared. */\n",
           "typedef void (*rsuv_any_fn)(void);\n",
           "extern const rsuv_any_fn rsuv_exported[];\n",
           "const rsuv_any_fn rsuv_exported[] = {\n"]
    for fn in funcs:
        out.append("  (rsuv_any_fn)%s,\n" % fn)
    out.append("  0\n};\n")
    return "".join(out)


def main(argv):
    if len(argv) < 2:
        die("missing command (see the docstring)")
    cmd, args = argv[1], argv[2:]
    if cmd == "table" and len(args) in (2, 3):
        sys.stdout.write(gen_table(*args))
    elif cmd == "consts" and len(args) in (1, 2):
        sys.stdout.write(gen_consts(*args))
    elif cmd == "probe-table" and len(args) == 3:
        probe_table(*args)
    elif cmd == "probe-consts" and len(args) == 2:
        probe_consts(*args)
    elif cmd == "protos" and len(args) == 2:
        sys.stdout.write(gen_protos(*args))
    elif cmd == "const-names" and not args:
        sys.stdout.write("\n".join(CONSTANTS) + "\n")
    else:
        die("bad command line: %r" % argv[1:])


if __name__ == "__main__":
    main(sys.argv)
