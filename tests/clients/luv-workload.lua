-- Client workload: Debian's lua-luv under lua5.1 (luv.so linked with
-- libuv.so.1). Run by scripts/test-clients.sh, once on Debian's libuv and
-- once on rsuv. Prints `LIBUV <path>` for each libuv.so mapped (from
-- /proc/self/maps), `OK <check>` / `FAIL <check>: <error>` per check (see
-- luv-checks.lua) and `RESULT <n> ok, <m> failed`. Exits 0 only if every
-- check passed and uv.run() then returned by itself (no handle left open).
local uv = require('luv')
local dir = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
local C = dofile(dir .. 'luv-checks.lua')

for _, p in ipairs(C.libuv_paths()) do C.out('LIBUV ' .. p) end
C.out('INFO ' .. _VERSION .. ', luv on libuv ' .. uv.version_string())

local result
C.run(uv, C.checks(uv), { prefix = 'luv' }, function(ok, failed)
  C.out(string.format('RESULT %d ok, %d failed', ok, failed))
  result = failed
  if failed > 0 then os.exit(1) end
  -- Every handle is closed now: uv.run() must return by itself.
  local watchdog = uv.new_timer()
  watchdog:start(5000, 0, function()
    C.out('FAIL exit: the loop is still alive 5 s after the checks')
    os.exit(1)
  end)
  watchdog:unref()
end)
uv.run('default')
if result == nil then
  C.out('FAIL exit: uv.run() returned before the checks finished')
  os.exit(1)
end
os.exit(result == 0 and 0 or 1)
