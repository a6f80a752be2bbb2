-- Put a claimed alert back, due later (bot/notify/outbox.py).
-- KEYS[1] message hash, [2] lease, [3] due. ARGV[1] id, [2] next_at, [3] token, [4] error ('' = keep),
-- [5] 1 to count the attempt.

if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[1], 'lease', '', 'next_at', ARGV[2])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'last_error', ARGV[4]) end
if ARGV[5] == '1' then redis.call('HINCRBY', KEYS[1], 'attempts', 1) end
return 1
