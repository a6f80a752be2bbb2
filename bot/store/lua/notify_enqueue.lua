-- Queue one alert for one robot, once (bot/notify/outbox.py).
-- KEYS[1] message hash, [2] due. ARGV[1] id, [2] now, [3] robot, [4] alert JSON, [5] event.

if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'robot', ARGV[3], 'alert', ARGV[4], 'event', ARGV[5],
           'created_at', ARGV[2], 'attempts', 0, 'state', 'pending', 'next_at', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
