-- Apply changes to a ticket if it is still at the expected rev (TicketStore.update).
-- KEYS[1] ticket hash, [2] history, [3] old state index, [4] new state index, [5] awaiting index,
-- [6] stream. ARGV[1] expected rev ('' = any), [2] ticket id, [3] created_at, [4] history entry
-- JSON ('' = none), [5] 'rem' to drop from the awaiting index, [6] stream op: '' | 'ack' | 'claim',
-- [7] group, [8] consumer (for 'claim'), [9] stream entry id, [10..] hash field/value pairs.
-- Returns the new rev, 0 when rev did not match (someone else changed the ticket), -1 when missing.

local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if ARGV[1] ~= '' and rev ~= ARGV[1] then return 0 end
if #ARGV >= 10 then
  local pairs = {}
  for i = 10, #ARGV do pairs[#pairs + 1] = ARGV[i] end
  redis.call('HSET', KEYS[1], unpack(pairs))
end
local new = redis.call('HINCRBY', KEYS[1], 'rev', 1)
if KEYS[3] ~= KEYS[4] then
  redis.call('ZREM', KEYS[3], ARGV[2])
  redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
end
if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[4]) end
if ARGV[5] == 'rem' then redis.call('ZREM', KEYS[5], ARGV[2]) end
if ARGV[9] ~= '' then
  if ARGV[6] == 'ack' then
    redis.call('XACK', KEYS[6], ARGV[7], ARGV[9])
  elseif ARGV[6] == 'claim' then
    redis.call('XCLAIM', KEYS[6], ARGV[7], ARGV[8], 0, ARGV[9], 'JUSTID')
  end
end
return new
