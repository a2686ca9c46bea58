-- The shared rate budget of one HubSpot token, run by Redis (EVALSHA) for
-- every reservation and every answer: TokenBudget's algorithm
-- (token_budget.cc) over a Redis hash, step for step, so that replicas plan
-- as one process would. budget_parity_test holds the two to the same
-- decisions.
--
-- KEYS[1]: the token's key (a hash of the token, never the token).
-- ARGV: name/value pairs.
--   Always: op ('reserve' or 'observe'), configured (the configured limit),
--   interval_ms, bulk_share, max_pause_ms, discover (1: discover the limit
--   while HubSpot advertises none, as TokenBudget does), max_requests (the
--   most requests per interval a header may advertise), above_tiers (a window
--   that held more accepted requests than every HubSpot tier allows:
--   AboveEveryTier in budget.h); now_ms (optional: the time to plan at;
--   replicas leave it out and share Redis's clock).
--   reserve: lane ('interactive' or 'bulk').
--   observe: status (HTTP status, 0: no answer), policy ('ROLLING', 'DAILY'
--   or ''), retry_after_ms, max, remaining, daily_remaining (-1: absent),
--   sent_ms and sequence of the answered request (-1: counted only locally).
-- Reply: name/value pairs.
--   reserve: granted (0/1), wait_ms, limit, sequence, sent_ms, daily_ms.
--   observe: limit, daily_ms.
--
-- State, in the hash: 'b<bucket>' = requests counted in that time bucket (1%
-- of the interval); ceiling (the advertised or configured limit), limit (the
-- one planned with), lowered (1 after a 429 until back at the ceiling),
-- last_raise and raise_ms (the climb back: one request per raise_ms, doubling
-- while 429s come at the level just learned), paused and daily (times until
-- which Retry-After or the daily limit stop the token), total (every request
-- ever counted, for the sequence numbers), advertised (1 once HubSpot sent
-- its Max header), discovered (1 once a rolling 429 ended the slow start),
-- confirmed (the most requests the window held before one HubSpot accepted,
-- or what it held at a 429: a discovered limit climbs past it by one at most).
--
-- What is read back is untrusted (a hand edit, another version, a clock gone
-- wrong) and bounded as HubSpot's headers are: counts and limits to
-- [0, max_requests], pauses and the daily stop to at most max_pause from now,
-- the last raise to now at most, the raise period to [1 ms, 8 intervals];
-- garbage reads as absent, and a bucket that is garbage or more than a window
-- ahead is dropped. This script never writes a value outside those bounds, so
-- they change nothing TokenBudget would decide.
local key = KEYS[1]
local arg = {}
for i = 1, #ARGV, 2 do arg[ARGV[i]] = ARGV[i + 1] end
local function number(name) return tonumber(arg[name]) end

local op = arg.op
local configured = number('configured')
local interval = number('interval_ms')
local bulk_share = number('bulk_share')
local max_pause = number('max_pause_ms')
local discover = number('discover') == 1
local max_requests = number('max_requests')
local above_tiers = number('above_tiers')
local now = number('now_ms')
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The window (TokenBudget's ring): buckets of 1% of the interval, kept for
-- the interval plus a guard (HubSpot counts a request when it arrives), and
-- half an interval more, so a late answer still tells what the window held
-- when its request was sent.
local width = math.max(1, math.floor(interval / 100))
local guard = math.floor(interval / 50) + 10
local size = math.ceil((interval + guard + interval / 2) / width) + 2
local bucket = math.floor(now / width)
local kept = bucket - size + 1
local oldest = math.floor((now - interval - guard) / width)

-- `v` within [low, high] as an integer; `default` when absent or not a number.
local function bounded(v, low, high, default)
  if v == nil or v ~= v then return default end
  return math.floor(math.max(low, math.min(high, v)))
end
local function flag(v) if v == 1 then return 1 end return 0 end

local s = {}
local counts = {}
local fields = redis.call('HGETALL', key)
for i = 1, #fields, 2 do
  local name = fields[i]
  if string.sub(name, 1, 1) == 'b' then
    local b = tonumber(string.sub(name, 2))
    if b == nil or b ~= math.floor(b) or b < kept or b > bucket + size then
      redis.call('HDEL', key, name)
    else
      local n = bounded(tonumber(fields[i + 1]), 0, max_requests, 0)
      -- HINCRBY needs an integer there.
      if tostring(n) ~= fields[i + 1] then redis.call('HSET', key, name, n) end
      counts[b] = n
    end
  else
    s[name] = tonumber(fields[i + 1])
  end
end
local advertised = flag(s.advertised)
-- A configured or advertised limit is never read back as none (but one
-- discovered past every tier is).
local least = 0
if advertised == 1 or (configured > 0 and not discover) then least = 1 end
local ceiling = bounded(s.ceiling, least, max_requests, configured)
local limit = bounded(s.limit, least, max_requests, ceiling)
local lowered = flag(s.lowered)
local last_raise = bounded(s.last_raise, 0, now, 0)
local raise_ms = bounded(s.raise_ms, 1, 8 * interval, interval)
local paused = bounded(s.paused, 0, now + max_pause, 0)
local daily = bounded(s.daily, 0, now + max_pause, 0)
local total = bounded(s.total, 0, 2 ^ 53, 0)
local discovered = flag(s.discovered)
local confirmed = bounded(s.confirmed, 0, max_requests, 0)

-- Requests in the window ending now.
local function used_now()
  local used = 0
  for b, n in pairs(counts) do
    if b >= oldest then used = used + n end
  end
  return used
end
local function add(b, n)
  counts[b] = (counts[b] or 0) + n
  redis.call('HINCRBY', key, 'b' .. b, n)
end
-- Counts `n` requests made now (sent, or reported by Remaining).
local function count(n)
  add(bucket, n)
  total = total + n
end
-- Takes the request sent at `sent` out of its bucket; false when it left.
local function uncount(sent)
  local b = math.floor(sent / width)
  if b < kept or b > bucket or (counts[b] or 0) == 0 then return false end
  add(b, -1)
  return true
end
-- The limit climbs back toward the ceiling by one per raise period.
local function recover()
  if lowered ~= 1 then return end
  local raises = math.floor((now - last_raise) / raise_ms)
  if raises <= 0 then return end
  local raised = math.min(ceiling, limit + raises)
  -- A discovered limit climbs only past a window HubSpot accepted whole.
  if discovered == 1 and advertised == 0 then
    raised = math.max(limit, math.min(raised, confirmed + 1))
  end
  limit = raised
  last_raise = last_raise + raises * raise_ms
  if limit >= ceiling then lowered = 0 end
end
-- Requests counted in the window before request `sequence`, sent at `sent`.
local function held_before(sequence, sent)
  local window_start = math.floor((sent - interval - guard) / width)
  if window_start < kept then return used_now() - 1 end
  local since_window = 0
  for b, n in pairs(counts) do
    if b > window_start then since_window = since_window + n end
  end
  return math.max(0, sequence - 1 - (total - since_window))
end
-- No limit advertised, and discovery on (with a limit to start from).
local function discovering()
  return discover and advertised == 0 and limit > 0
end
-- HubSpot's Remaining counts requests others made: count them as made now.
local function count_others(remaining)
  if remaining < 0 or ceiling <= 0 then return end
  local missing = ceiling - remaining - used_now()
  if missing > 0 then count(missing) end
end

local reply
if op == 'reserve' then
  recover()
  local earliest = math.max(now, paused, daily)
  local at = earliest
  if limit > 0 then
    local lane_limit = limit
    if arg.lane == 'bulk' then lane_limit = math.max(1, math.floor(limit * bulk_share)) end
    local used = used_now()
    if used >= lane_limit then
      -- Wait until enough of the oldest buckets have left the window.
      at = math.max(earliest, now + interval + guard)
      for b = oldest, bucket do
        used = used - (counts[b] or 0)
        if used < lane_limit then
          at = math.max(earliest, (b + 1) * width + interval + guard)
          break
        end
      end
    end
  end
  local daily_ms = math.max(0, daily - now)
  if at <= now then
    count(1)
    reply = {'granted', 1, 'wait_ms', 0, 'limit', limit, 'sequence', total, 'sent_ms', now,
             'daily_ms', daily_ms}
  else
    reply = {'granted', 0, 'wait_ms', at - now, 'limit', limit, 'sequence', -1, 'sent_ms', -1,
             'daily_ms', daily_ms}
  end
else
  local status = number('status')
  local policy = arg.policy
  local retry_after = number('retry_after_ms')
  local max = number('max')
  local remaining = number('remaining')
  local daily_remaining = number('daily_remaining')
  local sent = number('sent_ms')
  local sequence = number('sequence')
  if max >= 0 then
    advertised = 1
    ceiling = max
    if lowered == 0 or limit > ceiling then limit = ceiling end
  end
  recover()
  if daily_remaining == 0 then
    daily = now + max_pause
  elseif daily_remaining > 0 then
    daily = 0
  end
  local pause = 0
  if retry_after >= 0 then pause = math.min(retry_after, max_pause) end
  if policy == 'DAILY' then
    if retry_after >= 0 then daily = now + pause else daily = now + max_pause end
  elseif policy == 'ROLLING' then
    -- HubSpot's real limit is at most what the window held when this hit (a
    -- tenth of the ceiling at least).
    local held = math.max(1, math.floor(ceiling / 10))
    if sent >= 0 then held = math.max(held, held_before(sequence, sent)) end
    if lowered == 1 and held >= limit - 1 then raise_ms = math.min(2 * raise_ms, 8 * interval) end
    if limit == 0 or held < limit then limit = held end
    confirmed = held
    if discovering() then
      -- The real limit is about what the window held: climb past it slowly.
      discovered = 1
      ceiling = 2 * held
    end
    lowered = 1
    last_raise = now
    if sent >= 0 then uncount(sent) end
    count_others(remaining)
    paused = math.max(paused, now + pause)
  else
    -- HubSpot counted it when it arrived: count it from its answer on.
    if sent >= 0 and status ~= 0 and uncount(sent) then add(bucket, 1) end
    local success = status >= 200 and status <= 299
    -- HubSpot took it: the window held this many when it was sent.
    if success and sent >= 0 then
      confirmed = math.max(confirmed, held_before(sequence, sent) + 1)
    end
    if success and discovering() and discovered == 0 and lowered == 0 then
      if confirmed > above_tiers then
        -- More than any HubSpot tier allows: no burst limit to find. Pace
        -- no more (a 429 sets a limit again).
        limit = 0
        ceiling = 0
      elseif 2 * used_now() >= limit then
        -- Slow start: every success while the window is half used or more
        -- raises the limit by one.
        limit = limit + 1
        ceiling = limit
      end
    end
    count_others(remaining)
  end
  reply = {'limit', limit, 'daily_ms', math.max(0, daily - now)}
end
redis.call('HSET', key, 'ceiling', ceiling, 'limit', limit, 'lowered', lowered, 'last_raise',
           last_raise, 'raise_ms', raise_ms, 'paused', paused, 'daily', daily, 'total', total,
           'advertised', advertised, 'discovered', discovered, 'confirmed', confirmed)
redis.call('PEXPIRE', key, 2 * interval + guard + max_pause)
return reply
