"""The Lua scripts behind the Redis store: each state change is one script, so it is atomic.

Time is the Redis server's clock (``TIME``), the one clock every process of the fleet shares.
Amounts of budget are integers in millionths of a retry, as in the Rust core. Every script
refreshes the key's expiry, so state that nobody touches disappears by itself, and every script
touches exactly one key, the one it declares in ``KEYS[1]``: that is what Redis Cluster needs
to route it (and what lets a proxy or an ACL see which keys a script uses).
"""

# Budget amounts in the scripts and the hashes are integers, in millionths of a retry.
UNIT = 1_000_000

# Shared prelude: the server's time in milliseconds.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS[1] budget hash. ARGV: capacity, unit, interval_ms, burst_ms, ttl_ms.
# Returns 1 (paid from tokens), 2 (paid from the per-second floor) or 0 (refused).
BUDGET_WITHDRAW = (
    _NOW
    + """
local capacity, unit = tonumber(ARGV[1]), tonumber(ARGV[2])
local interval, burst, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or capacity)
local paid = 0
if tokens >= unit then
  tokens = tokens - unit
  paid = 1
elseif interval > 0 then
  local tat = tonumber(redis.call('HGET', KEYS[1], 'tat') or 0)
  local nxt = math.max(tat, now) + interval
  if nxt <= now + burst then
    redis.call('HSET', KEYS[1], 'tat', nxt)
    paid = 2
  end
end
redis.call('HSET', KEYS[1], 'tokens', tokens)
if paid > 0 then
  redis.call('HINCRBY', KEYS[1], 'retries', 1)
else
  redis.call('HINCRBY', KEYS[1], 'exhausted', 1)
end
redis.call('PEXPIRE', KEYS[1], ttl)
return paid
"""
)

# KEYS[1] budget hash. ARGV: successes, deposit per success, capacity, ttl_ms.
BUDGET_DEPOSIT = """
local n, deposit = tonumber(ARGV[1]), tonumber(ARGV[2])
local capacity, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or capacity)
tokens = math.min(capacity, tokens + n * deposit)
redis.call('HSET', KEYS[1], 'tokens', tokens)
redis.call('HINCRBY', KEYS[1], 'successes', n)
redis.call('PEXPIRE', KEYS[1], ttl)
return tokens
"""

# Breaker hash fields: state (closed/open/half_open), ring ('0'/'1' per outcome, 1 = failure),
# head, len, failures, open_until, admitted, done, tfail, lease and lease_until, and counters
# opened/half_opened/closed. The half-open lease lives in the same hash (its holder alone sends
# trial calls, until lease_until on the server's clock), so every script touches one key and
# runs on Redis Cluster as well.
_BREAKER_ENTER = """
local function enter(to, now, open_for)
  local from = redis.call('HGET', KEYS[1], 'state') or 'closed'
  redis.call('HSET', KEYS[1], 'state', to, 'admitted', 0, 'done', 0, 'tfail', 0,
             'ring', '', 'head', 0, 'len', 0, 'failures', 0)
  redis.call('HINCRBY', KEYS[1], 'epoch', 1)
  if to == 'open' then
    redis.call('HSET', KEYS[1], 'open_until', now + open_for)
  end
  -- An operator's switch may "change" to the same state: only real changes are counted.
  if from ~= to then
    local counter = {open = 'opened', half_open = 'half_opened', closed = 'closed'}
    redis.call('HINCRBY', KEYS[1], counter[to], 1)
  end
  if to ~= 'half_open' then redis.call('HDEL', KEYS[1], 'lease', 'lease_until') end
  return {from, to}
end
"""

# ARGV: owner, lease_ms, half_open_calls, ttl_ms.
# Returns {allowed, trial, remaining_ms, from, to} (from/to empty when nothing changed).
BREAKER_ACQUIRE = (
    _NOW
    + _BREAKER_ENTER
    + """
local owner, lease, calls, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'closed' then return {1, 0, 0, '', ''} end
local change = {'', ''}
if state == 'open' then
  local remaining = tonumber(redis.call('HGET', KEYS[1], 'open_until') or 0) - now
  if remaining > 0 then return {0, 0, remaining, '', ''} end
  change = enter('half_open', now, 0)
end
redis.call('PEXPIRE', KEYS[1], ttl)
-- One process in the fleet holds the lease and sends every trial call.
local holder = redis.call('HGET', KEYS[1], 'lease')
if not holder or tonumber(redis.call('HGET', KEYS[1], 'lease_until') or 0) <= now then
  -- A new holder starts the trials afresh: a holder that died took its slots with it.
  redis.call('HSET', KEYS[1], 'lease', owner, 'lease_until', now + lease,
             'admitted', 0, 'done', 0, 'tfail', 0)
elseif holder ~= owner then
  return {0, 0, 0, change[1], change[2]}
end
local admitted = tonumber(redis.call('HGET', KEYS[1], 'admitted') or 0)
if admitted >= calls then return {0, 0, 0, change[1], change[2]} end
redis.call('HSET', KEYS[1], 'admitted', admitted + 1)
return {1, 1, 0, change[1], change[2]}
"""
)

# ARGV: trial (0/1), outcome (success/failure/ignored), window, minimum_calls,
# failure_rate, open_for_ms, half_open_calls, ttl_ms. Returns {from, to} or {'', ''}.
BREAKER_RECORD = (
    _NOW
    + _BREAKER_ENTER
    + """
local trial, outcome = ARGV[1] == '1', ARGV[2]
local window, minimum = tonumber(ARGV[3]), tonumber(ARGV[4])
local rate, open_for = tonumber(ARGV[5]), tonumber(ARGV[6])
local calls, ttl = tonumber(ARGV[7]), tonumber(ARGV[8])
local none = {'', ''}
local function record(state)
if state == 'closed' then
  -- A trial's outcome that lands after the breaker closed belongs to an older state.
  if trial or outcome == 'ignored' then return none end
  local bit = outcome == 'failure' and '1' or '0'
  local ring = redis.call('HGET', KEYS[1], 'ring') or ''
  local head = tonumber(redis.call('HGET', KEYS[1], 'head') or 0)
  local len = tonumber(redis.call('HGET', KEYS[1], 'len') or 0)
  local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or 0)
  if len == window then
    if string.sub(ring, head + 1, head + 1) == '1' then failures = failures - 1 end
    ring = string.sub(ring, 1, head) .. bit .. string.sub(ring, head + 2)
  else
    ring = ring .. bit
    len = len + 1
  end
  head = (head + 1) % window
  if bit == '1' then failures = failures + 1 end
  if len >= math.min(minimum, window) and failures >= rate * len then
    return enter('open', now, open_for)
  end
  redis.call('HSET', KEYS[1], 'ring', ring, 'head', head, 'len', len, 'failures', failures)
  return none
end
if state ~= 'half_open' or not trial then return none end
if outcome == 'ignored' then
  redis.call('HINCRBY', KEYS[1], 'admitted', -1)
  return none
end
local done = redis.call('HINCRBY', KEYS[1], 'done', 1)
local tfail = tonumber(redis.call('HGET', KEYS[1], 'tfail') or 0)
if outcome == 'failure' then tfail = redis.call('HINCRBY', KEYS[1], 'tfail', 1) end
if done < calls then return none end
if tfail >= rate * done then return enter('open', now, open_for) end
return enter('closed', now, open_for)
end
local change = record(redis.call('HGET', KEYS[1], 'state') or 'closed')
-- After the writes: an expiry set on a key that does not exist yet is lost.
redis.call('PEXPIRE', KEYS[1], ttl)
return change
"""
)

# KEYS[1] breaker hash. ARGV: open_for_ms, ttl_ms. An operator's switch: opens the breaker
# for the fleet now (a breaker already open waits open_for again). Returns {from, 'open'}.
BREAKER_TRIP = (
    _NOW
    + _BREAKER_ENTER
    + """
local change = enter('open', now, tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return change
"""
)

# KEYS[1] breaker hash. ARGV: ttl_ms. Closes the breaker for the fleet with an empty window.
# Returns {from, 'closed'}.
BREAKER_RESET = (
    _NOW
    + _BREAKER_ENTER
    + """
local change = enter('closed', now, 0)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return change
"""
)

# KEYS[1] budget hash. A full budget with zero totals is the state of a key that does not
# exist, as every other script reads it.
BUDGET_RESET = """
return redis.call('DEL', KEYS[1])
"""
