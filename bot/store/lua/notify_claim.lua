-- Claim a due alert with a lease, so that one sender sends it (bot/notify/outbox.py).
-- KEYS[1] message hash, [2] due, [3] lease. ARGV[1] id, [2] now, [3] lease until, [4] token.

local at = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not at or tonumber(at) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[1], 'lease', ARGV[4])
return 1
