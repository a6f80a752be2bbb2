-- Take one of a robot's sends per minute (bot/notify/outbox.py: 20 a minute per robot).
-- KEYS[1] the robot's sends of the last minute. ARGV[1] now, [2] per minute, [3] member.
-- Returns 0 and records the send when a slot is free, else the seconds until one is (x1000, integer).

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - 60)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
  redis.call('EXPIRE', KEYS[1], 120)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.ceil((tonumber(oldest[2]) + 60 - tonumber(ARGV[1])) * 1000))
