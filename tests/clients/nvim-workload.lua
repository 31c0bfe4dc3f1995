-- Client workload: Debian's Neovim (nvim links libuv.so.1 and luv), driven
-- through vim.uv (vim.loop before Neovim 0.10). Run by
-- scripts/test-clients.sh as
--   nvim --headless -u NONE -i NONE -n --cmd 'luafile nvim-workload.lua'
-- once on Debian's libuv and once on rsuv. Runs the luv checks of
-- luv-checks.lua inside Neovim's own loop, then Neovim's own users of libuv:
-- jobs (uv_spawn + pipes), system(), an embedded child nvim over msgpack-RPC
-- on pipes, and an RPC server on TCP loopback. Prints `LIBUV <path>` for
-- each libuv.so mapped (from /proc/self/maps), `OK <check>` / `FAIL <check>:
-- <error>` per check and `RESULT <n> ok, <m> failed`; exits 0 only if every
-- check passed.
local uv = vim.uv or vim.loop
local dir = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
local C = dofile(dir .. 'luv-checks.lua')
local eq = C.eq

for _, p in ipairs(C.libuv_paths()) do C.out('LIBUV ' .. p) end
local v = vim.version()
C.out(string.format('INFO nvim %d.%d.%d, %s on libuv %s', v.major, v.minor, v.patch,
  vim.uv and 'vim.uv' or 'vim.loop', uv.version_string()))

local checks = C.checks(uv)
-- These call Neovim's API, so they are resumed outside luv callbacks.
local function check(name, fn) checks[#checks + 1] = { name = name, fn = fn, api = true } end

check('nvim-jobs', function(t)
  local q = t.queue()
  local lines = {}
  for i = 1, 2000 do lines[i] = 'line ' .. i end
  local out
  local job = vim.fn.jobstart({ 'cat' }, {
    stdout_buffered = true,
    on_stdout = function(_, data) out = data end,
    on_exit = function(_, code) q.push(code) end,
  })
  assert(job > 0, 'jobstart cat: ' .. job)
  assert(vim.fn.jobpid(job) > 0)
  vim.fn.chansend(job, lines)
  vim.fn.chanclose(job, 'stdin')
  eq(q.pop(), 0, 'cat exit code')
  eq(table.concat(out, '\n'), table.concat(lines, '\n'), 'cat output')
  job = vim.fn.jobstart({ 'sh', '-c', 'exit 4' }, { on_exit = function(_, code) q.push(code) end })
  eq(q.pop(), 4, 'exit code')
  job = vim.fn.jobstart({ 'sleep', '30' }, { on_exit = function(_, code) q.push(code) end })
  vim.fn.jobstop(job)
  eq(q.pop(), 143, 'exit code of a stopped job')
  local ok, err = pcall(vim.fn.jobstart, { t.tmp .. '/no-such-program' })
  assert(not ok and tostring(err):match('E475'), 'jobstart of a missing program: ' .. tostring(err))
end)

check('nvim-system', function(t)
  eq(vim.fn.system({ 'echo', 'hi' }), 'hi\n', 'system output')
  eq(vim.v.shell_error, 0, 'shell_error')
  vim.fn.system({ 'sh', '-c', 'exit 5' })
  eq(vim.v.shell_error, 5, 'shell_error')
  eq(vim.fn.system('cat', 'piped input'), 'piped input', 'system with input')
end)

check('nvim-rpc', function(t)
  local q = t.queue()
  local addr = vim.fn.serverstart('127.0.0.1:0')
  assert(addr:match('^127%.0%.0%.1:%d+$'), 'serverstart: ' .. addr)
  t.defer(function() vim.fn.serverstop(addr) end)
  local job = vim.fn.jobstart({ vim.v.progpath, '--embed', '--headless', '-u', 'NONE', '-i', 'NONE', '-n' },
    { rpc = true, on_exit = function(_, code) q.push('exit', code) end })
  assert(job > 0, 'jobstart nvim --embed: ' .. job)
  t.defer(function() vim.fn.jobstop(job) end)
  eq(vim.fn.rpcrequest(job, 'nvim_eval', '6*7'), 42, 'rpcrequest')
  local child_libuv = vim.fn.rpcrequest(job, 'nvim_exec_lua', [[
    local seen, list = {}, {}
    for line in io.lines('/proc/self/maps') do
      local p = line:match('^%S+%s+%S+%s+%S+%s+%S+%s+%S+%s+(.-)%s*$')
      if p and p:match('/libuv%.so[^/]*$') and not seen[p] then seen[p] = true; list[#list + 1] = p end
    end
    return list]], {})
  eq(table.concat(child_libuv, ' '), table.concat(C.libuv_paths(), ' '), 'libuv of the child nvim')
  -- The child connects back to our TCP server and calls us.
  _G.RSUV_NVIM_GOT = function(pid) q.push('got', pid) end
  vim.fn.rpcnotify(job, 'nvim_exec_lua', [[
    local ch = vim.fn.sockconnect('tcp', ..., { rpc = true })
    vim.rpcnotify(ch, 'nvim_exec_lua', 'RSUV_NVIM_GOT(...)', { vim.fn.getpid() })]], { addr })
  local what, pid = q.pop()
  eq(what, 'got', 'call from the child over TCP')
  eq(pid, vim.fn.jobpid(job), 'pid sent by the child')
  vim.fn.jobstop(job)
  what = q.pop()
  eq(what, 'exit', 'child exit')
end)

check('nvim-wait', function(t)
  local fired = false
  vim.defer_fn(function() fired = true end, 50)
  assert(vim.wait(5000, function() return fired end, 10), 'vim.defer_fn did not fire within vim.wait')
end)

-- Start once Neovim's main loop runs (this file is read during startup).
vim.schedule(function()
  C.run(uv, checks, { prefix = 'nvim', schedule = vim.schedule }, function(ok, failed)
    C.out(string.format('RESULT %d ok, %d failed', ok, failed))
    vim.schedule(function() vim.cmd(failed > 0 and 'cquit 1' or 'qall!') end)
  end)
end)
