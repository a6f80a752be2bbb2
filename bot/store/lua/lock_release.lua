-- Release the week's lock (bot/posts/publisher.py).
-- KEYS[1] the lock, ARGV[1] our token: delete it only if it is still ours.

if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
