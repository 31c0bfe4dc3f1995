"""Client workload: Debian's python3-uvloop (asyncio on libuv.so.1).

Run by scripts/test-clients.sh with /usr/bin/python3, once on Debian's libuv
and once on rsuv. Prints `LIBUV <path>` for each libuv.so mapped into this
process (from /proc/self/maps), then `OK <check>` or `FAIL <check>: <error>`
per check and `RESULT <n> ok, <m> failed`; exits 0 only if every check
passed.

uvloop has no file API of its own (asyncio has none): the file checks use
what it does run on libuv, uv_fs_event (loop._monitor_fs) and pipe streams
on a FIFO and on os.pipe(). Its signal handling is asyncio's wakeup fd read
by the libuv loop, and its libuv thread-pool work is getaddrinfo and
getnameinfo.
"""
import asyncio
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import traceback

import uvloop

CHECK_TIMEOUT = 20
CHECKS = []
tmp = None


def check(fn):
    CHECKS.append(fn)
    return fn


def libuv_paths():
    seen = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) == 6:
                p = parts[5].strip()
                if os.path.basename(p).startswith("libuv.so") and p not in seen:
                    seen.append(p)
    return seen


@check
async def timers():
    loop = asyncio.get_running_loop()
    order = []
    t0 = loop.time()
    loop.call_later(0.03, order.append, "t30")
    loop.call_later(0.01, order.append, "t10")
    h = loop.call_later(0.005, order.append, "cancelled")
    h.cancel()
    loop.call_at(loop.time() + 0.02, order.append, "t20")
    loop.call_soon(order.append, "soon")
    await asyncio.sleep(0.06)
    assert order == ["soon", "t10", "t20", "t30"], order
    assert loop.time() - t0 >= 0.059, loop.time() - t0


@check
async def fs_watch():
    loop = asyncio.get_running_loop()
    d = tempfile.mkdtemp(dir=tmp)
    events = asyncio.Queue()
    h = loop._monitor_fs(d, lambda name, ev: events.put_nowait((name, ev)))
    with open(os.path.join(d, "new.txt"), "w") as f:
        f.write("x")
    name, ev = await events.get()
    assert name == b"new.txt" and ev == 1, (name, ev)  # 1: UV_RENAME
    h.cancel()
    shutil.rmtree(d)


async def pipe_round_trip(rfile, wfile, size):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), rfile)
    wt, _ = await loop.connect_write_pipe(asyncio.Protocol, wfile)
    data = os.urandom(size)
    wt.write(data)
    wt.close()
    back = await reader.read()
    assert back == data, (len(back), len(data))


@check
async def pipes_and_fifo():
    r, w = os.pipe()
    await pipe_round_trip(os.fdopen(r, "rb", 0), os.fdopen(w, "wb", 0), 1 << 20)
    p = os.path.join(tmp, "fifo")
    os.mkfifo(p)
    rfd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    wfd = os.open(p, os.O_WRONLY | os.O_NONBLOCK)
    await pipe_round_trip(os.fdopen(rfd, "rb", 0), os.fdopen(wfd, "wb", 0), 300000)
    os.unlink(p)


@check
async def subprocess_pipes():
    PIPE = asyncio.subprocess.PIPE
    data = os.urandom(200000).hex().encode()
    p = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    out, _ = await p.communicate(data)
    assert out == data and p.returncode == 0, (len(out), p.returncode)
    p = await asyncio.create_subprocess_shell(
        'printf "%s|%s" "$FOO" "$(pwd)"; echo oops >&2; exit 3',
        stdout=PIPE, stderr=PIPE, cwd=tmp, env=dict(os.environ, FOO="bar"))
    out, err = await p.communicate()
    assert (out, err, p.returncode) == (("bar|" + os.path.realpath(tmp)).encode(), b"oops\n", 3), (out, err, p.returncode)
    p = await asyncio.create_subprocess_exec("sleep", "30")
    p.terminate()
    assert await p.wait() == -signal.SIGTERM, p.returncode
    try:
        await asyncio.create_subprocess_exec(os.path.join(tmp, "no-such-program"))
        raise AssertionError("spawning a missing program succeeded")
    except FileNotFoundError:
        pass
    p = await asyncio.create_subprocess_exec("cat", "/proc/self/stat", stdout=PIPE, start_new_session=True)
    out, _ = await p.communicate()
    fields = out.decode().rsplit(")", 1)[1].split()
    assert int(fields[3]) == p.pid, f"start_new_session: session {fields[3]}, pid {p.pid}"


PREEXEC_PROGRAM = """
import asyncio, sys, uvloop
marker = sys.argv[1]
async def main():
    p = await asyncio.create_subprocess_exec(
        "cat", marker, stdout=asyncio.subprocess.PIPE,
        preexec_fn=lambda: open(marker, "w").write("preexec ran"))
    out, _ = await p.communicate()
    sys.stdout.write(out.decode())
uvloop.install()
asyncio.run(main())
"""


@check
async def subprocess_preexec_fn():
    # uvloop runs preexec_fn from a pthread_atfork() child handler, which
    # relies on the library creating the child with fork(). rsuv spawns
    # vfork-style, which runs no fork handlers, unless RSUV_SPAWN_FORK=1
    # (README, "Processes"); libuv always forks. So the check runs in a
    # fresh interpreter with that variable set.
    marker = os.path.join(tmp, "preexec-marker")
    env = dict(os.environ, RSUV_SPAWN_FORK="1")
    p = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PREEXEC_PROGRAM, marker, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await p.communicate()
    assert p.returncode == 0 and out == b"preexec ran", f"preexec_fn did not run in the child: {p.returncode} {out!r} {err!r}"
    os.unlink(marker)


async def echo(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


async def echo_clients(connect, size):
    data = os.urandom(size)

    async def one():
        r, w = await connect()
        w.write(data)
        w.write_eof()
        back = await r.read()
        w.close()
        await w.wait_closed()
        assert back == data, (len(back), len(data))

    await asyncio.gather(*(one() for _ in range(5)))


@check
async def tcp():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await echo_clients(lambda: asyncio.open_connection("127.0.0.1", port), 1 << 20)
    await echo_clients(lambda: asyncio.open_connection("localhost", port, family=socket.AF_INET), 1000)
    server.close()
    await server.wait_closed()
    try:
        await asyncio.open_connection("127.0.0.1", port)
        raise AssertionError("connected to a closed port")
    except ConnectionRefusedError:
        pass


@check
async def unix_socket():
    p = os.path.join(tmp, "echo.sock")
    server = await asyncio.start_unix_server(echo, p)
    await echo_clients(lambda: asyncio.open_unix_connection(p), 256 * 1024)
    server.close()
    await server.wait_closed()


@check
async def udp():
    loop = asyncio.get_running_loop()

    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, t):
            self.t = t

        def datagram_received(self, data, addr):
            self.t.sendto(b"echo:" + data, addr)

    class Client(asyncio.DatagramProtocol):
        def __init__(self):
            self.got = asyncio.Queue()

        def datagram_received(self, data, addr):
            self.got.put_nowait((data, addr))

    st, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
    addr = st.get_extra_info("sockname")
    ct, cp = await loop.create_datagram_endpoint(Client, remote_addr=addr)
    for i in range(10):
        ct.sendto(b"ping%d" % i)
    got = set()
    for _ in range(10):
        data, frm = await cp.got.get()
        assert frm == addr, frm
        got.add(data)
    assert got == {b"echo:ping%d" % i for i in range(10)}, got
    ut, up = await loop.create_datagram_endpoint(Client, local_addr=("127.0.0.1", 0))
    ut.sendto(b"unconnected", addr)
    assert (await up.got.get())[0] == b"echo:unconnected"
    for t in (st, ct, ut):
        t.close()


@check
async def dns():
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)
    addrs = {i[4][0] for i in infos}
    assert addrs & {"127.0.0.1", "::1"}, infos
    v4 = await loop.getaddrinfo("localhost", 80, family=socket.AF_INET, type=socket.SOCK_STREAM)
    assert v4[0][4] == ("127.0.0.1", 80), v4
    host, port = await loop.getnameinfo(("127.0.0.1", 80))
    assert isinstance(host, str) and host and isinstance(port, str), (host, port)


@check
async def signals():
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGUSR1, signal.SIGUSR2):
        fut = loop.create_future()
        loop.add_signal_handler(sig, lambda s=sig: fut.done() or fut.set_result(s))
        os.kill(os.getpid(), sig)
        assert await fut == sig
        assert loop.remove_signal_handler(sig)


@check
async def threadpool():
    loop = asyncio.get_running_loop()
    res = await asyncio.gather(*(loop.getaddrinfo("localhost", 1000 + i, type=socket.SOCK_STREAM) for i in range(50)),
                               *(loop.getnameinfo(("127.0.0.1", 2000 + i)) for i in range(20)))
    for i, r in enumerate(res[:50]):
        assert r and r[0][4][1] == 1000 + i, r


@check
async def sock_api():
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    data = os.urandom(1 << 20)

    async def recv_all():
        parts, n = [], 0
        while n < len(data):
            chunk = await loop.sock_recv(b, 65536)
            parts.append(chunk)
            n += len(chunk)
        return b"".join(parts)

    sent = loop.create_task(loop.sock_sendall(a, data))
    assert await recv_all() == data
    await sent
    readable = loop.create_future()
    loop.add_reader(b, lambda: readable.done() or readable.set_result(b.recv(100)))
    writable = loop.create_future()
    loop.add_writer(a, lambda: writable.done() or writable.set_result(True))
    await writable
    loop.remove_writer(a)
    a.send(b"via add_reader")
    assert await readable == b"via add_reader"
    loop.remove_reader(b)
    a.close()
    b.close()


@check
async def threadsafe_calls():
    loop = asyncio.get_running_loop()
    got = []
    done = loop.create_future()

    def add(x):
        got.append(x)
        if len(got) == 400 and not done.done():
            done.set_result(None)

    def worker(k):
        for i in range(100):
            loop.call_soon_threadsafe(add, (k, i))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    await done
    for t in threads:
        t.join()
    assert sorted(got) == [(k, i) for k in range(4) for i in range(100)]


async def main():
    global tmp
    loop = asyncio.get_running_loop()
    assert isinstance(loop, uvloop.Loop), type(loop)
    for p in libuv_paths():
        print("LIBUV", p)
    print("INFO python", sys.version.split()[0], "uvloop", uvloop.__version__)
    tmp = tempfile.mkdtemp(prefix="uvloop-")
    ok = failed = 0
    try:
        for fn in CHECKS:
            name = fn.__name__.replace("_", "-")
            try:
                await asyncio.wait_for(fn(), CHECK_TIMEOUT)
                print("OK", name)
                ok += 1
            except Exception as e:
                if isinstance(e, asyncio.TimeoutError):
                    msg = f"timed out after {CHECK_TIMEOUT} s"
                else:
                    msg = "".join(traceback.format_exception(e)).strip()
                print(f"FAIL {name}: " + msg.replace("\n", "\n    "))
                failed += 1
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"RESULT {ok} ok, {failed} failed")
    return failed


if __name__ == "__main__":
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    sys.exit(1 if asyncio.run(main()) else 0)
