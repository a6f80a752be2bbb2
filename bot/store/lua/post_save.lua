-- Save the week's post record while we hold the week's lock (bot/posts/publisher.py).
-- KEYS[1] the week's lock, KEYS[2] the week's record, KEYS[3] the index of weeks.
-- ARGV[1] our lock token, ARGV[2] the week's ordinal (index score), ARGV[3] the week (member),
-- ARGV[4..] field, value pairs. Writes only while we hold the lock; returns 1, or 0 when we lost it.

if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1
