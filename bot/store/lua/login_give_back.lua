-- Give back one attempt of a login that succeeded (bot/console/accounts.py): never below 0, and
-- only while the counter lives (a lapsed counter is not recreated without an expiry).
-- KEYS[1] the attempt counter (see login_count_attempt.lua). No ARGV. Returns 0.

if redis.call('HINCRBY', KEYS[1], 'n', 0) > 0 then redis.call('HINCRBY', KEYS[1], 'n', -1) end
if redis.call('TTL', KEYS[1]) < 0 then redis.call('DEL', KEYS[1]) end
return 0
