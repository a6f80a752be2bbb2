-- Record an alert the robot accepted (bot/notify/outbox.py).
-- KEYS[1] message hash, [2] lease, [3] sent, [4] due. ARGV[1] id, [2] now, [3] answer, [4] keep.
-- Any sender the robot answered errcode 0 may record it (its lease may have run out meanwhile);
-- returns 0 when it was recorded sent before (a second copy went out).

if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HGET', KEYS[1], 'state') == 'sent' then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'sent', 'sent_at', ARGV[2], 'answer', ARGV[3], 'lease', '')
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
