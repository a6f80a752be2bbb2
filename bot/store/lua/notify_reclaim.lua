-- A lease that ran out (its sender stopped mid-send): the alert is due again (bot/notify/outbox.py).
-- KEYS[1] message hash, [2] lease, [3] due. ARGV[1] id, [2] now. A lease that ran out: back to due.

local ends = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not ends or tonumber(ends) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[1], 'lease', '', 'last_error', 'sender stopped mid-send (lease ran out)')
return 1
