-- A retry stops waiting for the first delivery (Deduper.give_up).
-- KEYS[1] the dedupe record. No ARGV.
-- Returns {'late', ''} when still claimed (the claim is marked '|late': its reply goes by
-- customer-service message), else {'stored', reply JSON or ''} (answered meanwhile, or gone).

local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 11) == '__pending__' then
  if string.sub(v, -5) ~= '|late' then redis.call('SET', KEYS[1], v .. '|late', 'KEEPTTL') end
  return {'late', ''}
end
return {'stored', v or ''}
