-- Store a new ticket with its first history entry, indexes and stream entry (TicketStore.create).
-- KEYS[1] ticket hash, [2] history, [3] state index, [4] village index, [5] kind index,
-- [6] created index, [7] villager's index, [8] awaiting index, [9] stream.
-- ARGV[1] ticket id, [2] created_at, [3] due_at, [4] history entry JSON, [5] stream maxlen,
-- [6] group, [7] pool consumer, [8..] hash field/value pairs.
-- Returns 1 when created, 0 when the ticket already existed (nothing changed).

if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[9], ARGV[6], '0', 'MKSTREAM')
local sid = redis.call('XADD', KEYS[9], 'MAXLEN', '~', ARGV[5], '*', 'ticket', ARGV[1])
redis.call('XREADGROUP', 'GROUP', ARGV[6], ARGV[7], 'COUNT', 1000, 'STREAMS', KEYS[9], '>')
local pairs = {}
for i = 8, #ARGV do pairs[#pairs + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'stream_id', sid, unpack(pairs))
redis.call('RPUSH', KEYS[2], ARGV[4])
for i = 3, 7 do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[1]) end
redis.call('ZADD', KEYS[8], ARGV[3], ARGV[1])
return 1
