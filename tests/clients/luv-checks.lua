-- Checks on luv (libuv's Lua binding), shared by luv-workload.lua (lua5.1 +
-- Debian's lua-luv) and nvim-workload.lua (Neovim's vim.uv / vim.loop, the
-- same binding inside Neovim's own loop).
--
--   local C = dofile(dir .. 'luv-checks.lua')
--   C.run(uv, checks, opts, finish)   -- runs `checks` one after another
--   C.checks(uv)                      -- the luv checks: { {name=, fn=}, ... }
--
-- A check's fn(t) runs in a coroutine and raises an error to fail; `t` has
-- t.queue() (push from callbacks, pop to wait), t.await(f, ...) (calls
-- f(..., cb) and returns cb's arguments), t.fs(name, ...) (uv.fs_<name> on
-- the thread pool, raising on error), t.sleep(ms), t.tmp (a temp dir) and
-- t.defer(f) (cleanup, also run when the check fails).
-- Each check prints `OK <name>` or `FAIL <name>: <error>`.
local M = {}
local unpack = unpack or table.unpack

M.CHECK_TIMEOUT_MS = 20000

function M.out(s)
  io.stdout:write(s, '\n')
  io.stdout:flush()
end

function M.libuv_paths()
  local seen, list = {}, {}
  for line in io.lines('/proc/self/maps') do
    local p = line:match('^%S+%s+%S+%s+%S+%s+%S+%s+%S+%s+(.-)%s*$')
    if p and p:match('/libuv%.so[^/]*$') and not seen[p] then
      seen[p] = true
      list[#list + 1] = p
    end
  end
  return list
end

local function read_file(path)
  local f = assert(io.open(path, 'rb'))
  local s = f:read('*a')
  f:close()
  return s
end
M.read_file = read_file

-- Removes a tree with synchronous luv calls.
local function rmtree(uv, path)
  local st = uv.fs_lstat(path)
  if not st then return end
  if st.type == 'directory' then
    local h = uv.fs_scandir(path)
    while h do
      local name = uv.fs_scandir_next(h)
      if not name then break end
      rmtree(uv, path .. '/' .. name)
    end
    uv.fs_rmdir(path)
  else
    uv.fs_unlink(path)
  end
end
M.rmtree = rmtree

local function eq(a, b, what)
  if a ~= b then
    error(string.format('%s: got %s, want %s', what or 'value', tostring(a), tostring(b)), 2)
  end
end
M.eq = eq

-- Pseudo-random binary data of about `n` bytes.
local function blob(n)
  local t = {}
  for i = 1, 4096 do t[i] = string.char(math.random(0, 255)) end
  local s = table.concat(t)
  return string.rep(s, math.floor(n / 4096)) .. 'end'
end
M.blob = blob

function M.run(uv, checks, opts, finish)
  local i, ok, failed = 0, 0, 0
  local tmp = assert(uv.fs_mkdtemp((os.getenv('TMPDIR') or '/tmp') .. '/' .. opts.prefix .. '-XXXXXX'))
  local next_check
  next_check = function()
    i = i + 1
    local c = checks[i]
    if not c then
      rmtree(uv, tmp)
      return finish(ok, failed)
    end
    local finished = false
    local timer = uv.new_timer()
    local cleanups = {}
    local co
    local function done(err)
      if finished then return end
      finished = true
      timer:stop()
      timer:close()
      for k = #cleanups, 1, -1 do pcall(cleanups[k]) end
      if err then
        failed = failed + 1
        M.out('FAIL ' .. c.name .. ': ' .. tostring(err):gsub('\n', '\n    '))
      else
        ok = ok + 1
        M.out('OK ' .. c.name)
      end
      local t = uv.new_timer()
      t:start(0, 0, function()
        t:close()
        next_check()
      end)
    end
    local function resume(...)
      if finished then return end
      local success, err = coroutine.resume(co, ...)
      if not success then
        done(debug.traceback(co, err))
      elseif coroutine.status(co) == 'dead' then
        done(nil)
      end
    end
    local step = resume
    if c.api and opts.schedule then
      -- Resume outside luv's callbacks (Neovim: not in a fast event).
      step = function() opts.schedule(resume) end
    end
    local t = { tmp = tmp }
    function t.defer(f) cleanups[#cleanups + 1] = f end
    function t.queue()
      local q = { items = {}, waiting = false }
      function q.push(...)
        q.items[#q.items + 1] = { n = select('#', ...), ... }
        if q.waiting then
          q.waiting = false
          step()
        end
      end
      function q.pop()
        while #q.items == 0 do
          q.waiting = true
          coroutine.yield()
        end
        local it = table.remove(q.items, 1)
        return unpack(it, 1, it.n)
      end
      function q.size() return #q.items end
      return q
    end
    function t.await(f, ...)
      local q = t.queue()
      local args = { ... }
      local n = select('#', ...)
      args[n + 1] = q.push
      local r, err = f(unpack(args, 1, n + 1))
      if r == nil and err ~= nil then error(tostring(err), 2) end
      return q.pop()
    end
    function t.fs(name, ...)
      local err, res = t.await(uv['fs_' .. name], ...)
      if err then error('fs_' .. name .. ': ' .. tostring(err), 2) end
      return res
    end
    function t.sleep(ms)
      local tm = uv.new_timer()
      t.await(function(cb) return tm:start(ms, 0, cb) end)
      tm:close()
    end
    timer:start(M.CHECK_TIMEOUT_MS, 0, function()
      done('timed out after ' .. M.CHECK_TIMEOUT_MS .. ' ms')
    end)
    co = coroutine.create(function() c.fn(t) end)
    step()
  end
  next_check()
end

-- ------------------------------------------------------------------ checks
function M.checks(uv)
  local checks = {}
  local function check(name, fn) checks[#checks + 1] = { name = name, fn = fn } end

  check('timers', function(t)
    local q = t.queue()
    local order = {}
    local t0 = uv.now()
    local a, b, c, iv = uv.new_timer(), uv.new_timer(), uv.new_timer(), uv.new_timer()
    local fired_at
    a:start(30, 0, function()
      order[#order + 1] = 't30'
      fired_at = uv.now()
      q.push('t30')
    end)
    b:start(10, 0, function() order[#order + 1] = 't10' end)
    c:start(5, 0, function() order[#order + 1] = 'cancelled' end)
    c:stop()
    local n = 0
    iv:start(5, 5, function()
      n = n + 1
      if n == 3 then
        iv:stop()
        q.push('iv')
      end
    end)
    eq(iv:get_repeat(), 5, 'get_repeat')
    q.pop()
    q.pop()
    assert(fired_at - t0 >= 30, 'the 30 ms timer fired after ' .. (fired_at - t0) .. ' ms of loop time')
    eq(table.concat(order, ','), 't10,t30', 'order')
    eq(n, 3, 'repeating timer ticks')
    assert(not iv:is_active() and not c:is_active(), 'stopped timers are active')
    -- again() restarts a repeating timer.
    b:set_repeat(10)
    assert(b:again() == 0)
    assert(b:is_active(), 'again() did not restart the timer')
    local m = 0
    b:start(1, 0, function() m = m + 1; q.push() end)
    q.pop()
    eq(m, 1, 'restarted timer')
    for _, h in ipairs({ a, b, c, iv }) do h:close() end
    assert(uv.hrtime() > 0)
  end)

  check('loop-watchers', function(t)
    local q = t.queue()
    local idle, prep, chk = uv.new_idle(), uv.new_prepare(), uv.new_check()
    local seen = {}
    local function once(h, name)
      h:start(function()
        h:stop()
        seen[#seen + 1] = name
        q.push()
      end)
    end
    once(idle, 'idle')
    once(prep, 'prepare')
    once(chk, 'check')
    q.pop(); q.pop(); q.pop()
    eq(#seen, 3, 'watchers fired')
    local async
    async = uv.new_async(function(v) q.push(v) end)
    async:send('hello')
    eq(q.pop(), 'hello', 'async payload')
    for _, h in ipairs({ idle, prep, chk, async }) do h:close() end
  end)

  check('fs', function(t)
    local d = t.fs('mkdtemp', t.tmp .. '/fs-XXXXXX')
    local f = d .. '/a.txt'
    local data = blob(300000)
    local fd = t.fs('open', f, 'w', 420)
    eq(t.fs('write', fd, data, 0), #data, 'bytes written')
    t.fs('fsync', fd)
    t.fs('close', fd)
    local st = t.fs('stat', f)
    eq(st.size, #data, 'stat size')
    eq(st.type, 'file', 'stat type')
    fd = t.fs('open', f, 'r+', 0)
    eq(t.fs('read', fd, #data + 10, 0), data, 'read back')
    eq(t.fs('read', fd, 10, 100), data:sub(101, 110), 'positional read')
    t.fs('ftruncate', fd, 1000)
    eq(t.fs('fstat', fd).size, 1000, 'fstat after ftruncate')
    t.fs('close', fd)
    t.fs('mkdir', d .. '/sub', 493)
    t.fs('rename', f, d .. '/sub/b.txt')
    t.fs('symlink', 'sub/b.txt', d .. '/link', 0)
    eq(t.fs('readlink', d .. '/link'), 'sub/b.txt', 'readlink')
    eq(t.fs('lstat', d .. '/link').type, 'link', 'lstat type')
    eq(t.fs('realpath', d .. '/link'), t.fs('realpath', d .. '/sub/b.txt'), 'realpath')
    t.fs('copyfile', d .. '/sub/b.txt', d .. '/c.txt', 0)
    t.fs('chmod', d .. '/c.txt', 384)
    eq(t.fs('stat', d .. '/c.txt').mode % 512, 384, 'mode after chmod')
    t.fs('utime', d .. '/c.txt', 1000, 2000)
    eq(t.fs('stat', d .. '/c.txt').mtime.sec, 2000, 'mtime after utime')
    assert(t.fs('access', d .. '/c.txt', 'rw'))
    local names = {}
    local h = t.fs('scandir', d)
    while true do
      local name, typ = uv.fs_scandir_next(h)
      if not name then break end
      names[#names + 1] = name .. ':' .. typ
    end
    table.sort(names)
    eq(table.concat(names, ' '), 'c.txt:file link:link sub:directory', 'scandir')
    local err, dir = t.await(function(cb) return uv.fs_opendir(d .. '/sub', cb, 10) end)
    assert(not err, err)
    local entries
    err, entries = t.await(dir.readdir, dir)
    assert(not err and entries, 'readdir: ' .. tostring(err))
    eq(#entries, 1, 'readdir entries')
    eq(entries[1].name .. ':' .. entries[1].type, 'b.txt:file', 'readdir entry')
    err, entries = t.await(dir.readdir, dir)
    assert(not err and entries == nil, 'second readdir: ' .. tostring(err))
    t.await(dir.closedir, dir)
    err = t.await(uv.fs_stat, d .. '/missing')
    assert(err and err:match('^ENOENT'), 'stat of a missing file: ' .. tostring(err))
    err = t.await(uv.fs_rmdir, d .. '/sub')
    assert(err and err:match('^ENOTEMPTY'), 'rmdir of a full directory: ' .. tostring(err))
    for _, p in ipairs({ '/sub/b.txt', '/c.txt', '/link' }) do t.fs('unlink', d .. p) end
    t.fs('rmdir', d .. '/sub')
    t.fs('rmdir', d)
  end)

  check('fs-sync', function(t)
    local d = assert(uv.fs_mkdtemp(t.tmp .. '/fss-XXXXXX'))
    local fd = assert(uv.fs_open(d .. '/x', 'w', 420))
    eq(uv.fs_write(fd, 'hello sync', 0), 10, 'sync write')
    uv.fs_close(fd)
    fd = assert(uv.fs_open(d .. '/x', 'r', 0))
    eq(uv.fs_read(fd, 4, 6), 'sync', 'sync read')
    eq(uv.fs_fstat(fd).size, 10, 'sync fstat')
    uv.fs_close(fd)
    local r, err, name = uv.fs_open(d .. '/missing', 'r', 0)
    assert(r == nil and name == 'ENOENT', 'sync open of a missing file: ' .. tostring(err))
    assert(uv.fs_rename(d .. '/x', d .. '/y'))
    eq(uv.fs_stat(d .. '/y').size, 10, 'sync stat')
    rmtree(uv, d)
    assert(uv.fs_stat(d) == nil, 'rmtree left the directory')
  end)

  check('fs-event', function(t)
    local d = t.fs('mkdtemp', t.tmp .. '/ev-XXXXXX')
    local q = t.queue()
    local ev = uv.new_fs_event()
    assert(ev:start(d, {}, function(err, filename, events) q.push(err, filename, events) end))
    t.defer(function() ev:close() end)
    local fd = t.fs('open', d .. '/new.txt', 'w', 420)
    t.fs('close', fd)
    local err, filename, events = q.pop()
    assert(not err, err)
    eq(filename, 'new.txt', 'event file name')
    assert(events.rename, 'creating a file is a rename event')
    ev:stop()
    -- A watched file reports a change.
    local fev = uv.new_fs_event()
    assert(fev:start(d .. '/new.txt', {}, function(e, f, evs) q.push(e, f, evs) end))
    t.defer(function() fev:close() end)
    while q.size() > 0 do q.pop() end
    fd = t.fs('open', d .. '/new.txt', 'a', 420)
    t.fs('write', fd, 'more', -1)
    t.fs('close', fd)
    err, filename, events = q.pop()
    assert(not err and events.change, 'appending: ' .. tostring(err))
    fev:stop()
    rmtree(uv, d)
  end)

  check('fs-poll', function(t)
    local f = t.tmp .. '/polled'
    local fd = assert(uv.fs_open(f, 'w', 420))
    uv.fs_write(fd, '1', 0)
    uv.fs_close(fd)
    local q = t.queue()
    local p = uv.new_fs_poll()
    t.defer(function() p:close() end)
    assert(p:start(f, 50, function(err, prev, curr) q.push(err, prev, curr) end))
    t.sleep(150)
    fd = assert(uv.fs_open(f, 'w', 420))
    uv.fs_write(fd, '123', 0)
    uv.fs_close(fd)
    local err, _, curr = q.pop()
    assert(not err, err)
    eq(curr.size, 3, 'polled size')
    p:stop()
    uv.fs_unlink(f)
  end)

  local function read_all(stream, q)
    local parts = {}
    stream:read_start(function(err, data)
      if err then q.push(nil, err)
      elseif data then parts[#parts + 1] = data
      else q.push(table.concat(parts)) end
    end)
  end

  check('spawn', function(t)
    local input = blob(200000)
    local q, qo, qe = t.queue(), t.queue(), t.queue()
    local stdin, stdout, stderr = uv.new_pipe(false), uv.new_pipe(false), uv.new_pipe(false)
    local proc, pid = uv.spawn('cat', { stdio = { stdin, stdout, stderr } }, function(code, sig) q.push(code, sig) end)
    assert(proc, pid)
    assert(pid > 0)
    read_all(stdout, qo)
    read_all(stderr, qe)
    stdin:write(input)
    stdin:shutdown(function() stdin:close() end)
    local code, sig = q.pop()
    eq(code, 0, 'cat exit code')
    eq(sig, 0, 'cat signal')
    eq(#qo.pop(), #input, 'cat echoed length')
    eq(qe.pop(), '', 'cat stderr')
    for _, h in ipairs({ proc, stdout, stderr }) do h:close() end

    stdout, stderr = uv.new_pipe(false), uv.new_pipe(false)
    proc = uv.spawn('sh', {
      args = { '-c', 'printf "%s|%s" "$FOO" "$(pwd)"; echo oops >&2; exit 3' },
      stdio = { 0, stdout, stderr }, cwd = t.tmp,
      env = { 'FOO=bar', 'PATH=' .. os.getenv('PATH') },
    }, function(c, s) q.push(c, s) end)
    read_all(stdout, qo)
    read_all(stderr, qe)
    code, sig = q.pop()
    eq(code, 3, 'sh exit code')
    eq(qo.pop(), 'bar|' .. uv.fs_realpath(t.tmp), 'env and cwd')
    eq(qe.pop(), 'oops\n', 'stderr')
    for _, h in ipairs({ proc, stdout, stderr }) do h:close() end

    proc = uv.spawn('sleep', { args = { '30' } }, function(c, s) q.push(c, s) end)
    assert(proc:kill('sigterm') == 0)
    code, sig = q.pop()
    eq(sig, 15, 'signal of the killed child')
    proc:close()

    local r, err = uv.spawn(t.tmp .. '/no-such-program', {}, function() end)
    assert(r == nil and tostring(err):match('ENOENT'), 'spawning a missing program: ' .. tostring(err))
  end)

  -- An echo server on `server` (bound), `n` clients made by `connect(cb)`.
  local function echo_round_trip(t, server, new_client, connect, size, n)
    local data = blob(size)
    assert(server:listen(128, function(err)
      assert(not err, err)
      local c = new_client()
      server:accept(c)
      c:read_start(function(e, chunk)
        if chunk then c:write(chunk)
        else c:shutdown(function() c:close() end) end
      end)
    end))
    local q = t.queue()
    for _ = 1, n do
      local cq = t.queue()
      local client = connect(function(err) cq.push(err) end)
      local err = cq.pop()
      assert(not err, 'connect: ' .. tostring(err))
      read_all(client, q)
      client:write(data)
      client:shutdown()
      local back, rerr = q.pop()
      assert(back, rerr)
      eq(#back, #data, 'echoed length')
      assert(back == data, 'echoed data differs')
      client:close()
    end
    server:close()
  end

  check('tcp', function(t)
    local server = uv.new_tcp()
    assert(server:bind('127.0.0.1', 0))
    local port = server:getsockname().port
    echo_round_trip(t, server, uv.new_tcp, function(cb)
      local c = uv.new_tcp()
      c:nodelay(true)
      c:connect('127.0.0.1', port, cb)
      return c
    end, 1048576, 5)
    local c = uv.new_tcp()
    local err = t.await(function(cb) return c:connect('127.0.0.1', port, cb) end)
    assert(err and err:match('ECONNREFUSED'), 'connect to a closed port: ' .. tostring(err))
    c:close()
  end)

  check('unix-socket', function(t)
    local path = t.tmp .. '/echo.sock'
    local server = uv.new_pipe(false)
    assert(server:bind(path))
    echo_round_trip(t, server, function() return uv.new_pipe(false) end, function(cb)
      local c = uv.new_pipe(false)
      c:connect(path, cb)
      return c
    end, 262144, 3)
    uv.fs_unlink(path)
  end)

  check('udp', function(t)
    local a, b = uv.new_udp(), uv.new_udp()
    t.defer(function() a:close(); b:close() end)
    assert(a:bind('127.0.0.1', 0))
    assert(b:bind('127.0.0.1', 0))
    local bport = b:getsockname().port
    b:recv_start(function(err, data, addr)
      if data then b:send('echo:' .. data, addr.ip, addr.port, function() end) end
    end)
    local q = t.queue()
    a:recv_start(function(err, data, addr) if data then q.push(data, addr) end end)
    for i = 1, 10 do a:send('ping' .. i, '127.0.0.1', bport, function() end) end
    local got = {}
    for _ = 1, 10 do
      local data, addr = q.pop()
      eq(addr.port, bport, 'sender port')
      got[data] = true
    end
    for i = 1, 10 do assert(got['echo:ping' .. i], 'missing echo ' .. i) end
  end)

  check('dns', function(t)
    local err, res = t.await(uv.getaddrinfo, 'localhost', nil, { socktype = 'stream' })
    assert(not err, err)
    local found = false
    for _, ai in ipairs(res) do
      if ai.addr == '127.0.0.1' or ai.addr == '::1' then found = true end
    end
    assert(found, 'localhost did not resolve to a loopback address')
    err, res = t.await(uv.getaddrinfo, 'localhost', nil, { family = 'inet', socktype = 'stream' })
    assert(not err, err)
    eq(res[1].addr, '127.0.0.1', 'IPv4 localhost')
    local host
    err, host = t.await(uv.getnameinfo, { ip = '127.0.0.1', port = 80 })
    assert(not err and type(host) == 'string' and #host > 0, 'getnameinfo: ' .. tostring(err))
  end)

  check('signals', function(t)
    local q = t.queue()
    for _, name in ipairs({ 'sigusr1', 'sigusr2' }) do
      local s = uv.new_signal()
      assert(s:start(name, function(signame) q.push(signame) end))
      assert(uv.kill(uv.os_getpid(), name) == 0)
      eq(q.pop(), name, 'signal received')
      s:stop()
      s:close()
    end
    local s1, s2 = uv.new_signal(), uv.new_signal()
    s1:start('sigusr1', function(n) q.push(n) end)
    s2:start('sigusr2', function(n) q.push(n) end)
    uv.kill(uv.os_getpid(), 'sigusr2')
    uv.kill(uv.os_getpid(), 'sigusr1')
    local got = { [q.pop()] = true, [q.pop()] = true }
    assert(got.sigusr1 and got.sigusr2, 'both signals')
    s1:close()
    s2:close()
  end)

  check('threadpool', function(t)
    local q = t.queue()
    local work = uv.new_work(function(n)
      local s = 0
      for i = 1, n do s = s + i end
      return n, s
    end, function(n, s) q.push(n, s) end)
    local sizes = { 1000, 20000, 300000, 4000000, 50, 60000, 700, 8 }
    for _, n in ipairs(sizes) do assert(work:queue(n)) end
    local got = {}
    for _ = 1, #sizes do
      local n, s = q.pop()
      got[n] = s
    end
    for _, n in ipairs(sizes) do eq(got[n], n * (n + 1) / 2, 'work result for ' .. n) end
    -- fs requests run on the same pool.
    local pending = 0
    for _ = 1, 50 do
      pending = pending + 1
      uv.fs_stat(t.tmp, function(err, st) q.push(err, st) end)
    end
    for _ = 1, pending do
      local err, st = q.pop()
      assert(not err and st.type == 'directory', err)
    end
  end)

  check('thread-async', function(t)
    local q = t.queue()
    local async = uv.new_async(function(v) q.push(v) end)
    local th = assert(uv.new_thread(function(a, n)
      for i = 1, n do a:send(i) end
    end, async, 5))
    local last = 0
    while last < 5 do last = q.pop() end
    th:join()
    async:close()
  end)

  check('poll', function(t)
    local fds = assert(uv.pipe({ nonblock = true }, { nonblock = true }))
    local q = t.queue()
    local p = uv.new_poll(fds.read)
    p:start('r', function(err, events) q.push(err, events) end)
    uv.fs_write(fds.write, 'x')
    local err, events = q.pop()
    assert(not err and events:match('r'), 'poll: ' .. tostring(err) .. ' ' .. tostring(events))
    p:stop()
    p:close()
    uv.fs_close(fds.read)
    uv.fs_close(fds.write)
  end)

  check('os-info', function(t)
    eq(uv.os_uname().sysname, 'Linux', 'uname')
    assert(#uv.cpu_info() >= 1, 'cpu_info')
    local lo = false
    for _, list in pairs(uv.interface_addresses()) do
      for _, a in ipairs(list) do
        if a.ip == '127.0.0.1' and a.internal then lo = true end
      end
    end
    assert(lo, 'no 127.0.0.1 interface')
    eq(uv.os_gethostname(), (read_file('/proc/sys/kernel/hostname'):gsub('%s+$', '')), 'hostname')
    eq(uv.os_get_passwd().uid, uv.getuid(), 'passwd uid')
    assert(#uv.os_homedir() > 0 and #uv.os_tmpdir() > 0)
    eq(uv.cwd(), uv.fs_realpath('.'), 'cwd')
    assert(uv.exepath():match('/'), 'exepath')
    assert(uv.get_total_memory() > 0 and uv.get_free_memory() > 0)
    assert(uv.resident_set_memory() > 0 and uv.getrusage().maxrss > 0)
    assert(uv.uptime() > 0)
    eq(#uv.random(16, nil), 16, 'random bytes')
    assert(uv.os_setenv('RSUV_LUV_TEST', 'yes'))
    eq(uv.os_getenv('RSUV_LUV_TEST'), 'yes', 'getenv after setenv')
    assert(uv.os_unsetenv('RSUV_LUV_TEST'))
    eq(uv.os_getpid(), uv.os_getpid(), 'pid')
    assert(uv.os_getppid() > 0)
  end)

  return checks
end

return M
