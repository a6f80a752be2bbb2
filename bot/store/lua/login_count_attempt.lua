-- Count one login attempt, atomically with the check (bot/console/accounts.py): per name, per
-- address, per browser. KEYS[1] the attempt counter (a hash: n = attempts, next = earliest next
-- attempt, epoch ms). ARGV[1] now (ms), ARGV[2] free attempts, ARGV[3] longest delay (s).
-- Returns {0, n} when this attempt may go ahead (and counts it), or {1, ms to wait} when it is too early.

local now = tonumber(ARGV[1])
local nxt = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
if now < nxt then return {1, nxt - now} end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local free, cap = tonumber(ARGV[2]), tonumber(ARGV[3])
local delay = 0
if n >= free then delay = math.min(cap, 2 ^ (n - free)) end
if delay > 0 then redis.call('HSET', KEYS[1], 'next', now + math.floor(delay * 1000)) end
redis.call('EXPIRE', KEYS[1], math.floor(cap + delay) + 1)
return {0, n}
