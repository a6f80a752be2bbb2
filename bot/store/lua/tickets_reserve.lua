-- A ticket id for an idempotency key: a new number of the day, or the one given before (TicketStore.reserve_id).
-- KEYS[1] idempotency key, KEYS[2] the day's counter. ARGV[1] day (YYYYMMDD), ARGV[2] idem TTL.
-- Returns {ticket id, 1 if newly reserved else 0}.

local known = redis.call('GET', KEYS[1])
if known then return {known, 0} end
local n = redis.call('INCR', KEYS[2])
local id = string.format('JF%s-%04d', ARGV[1], n)
redis.call('SET', KEYS[1], id, 'EX', ARGV[2])
return {id, 1}
