-- Helper (placed before the scripts that use it): store a message's reply and apply its state change.
-- KEYS[1] the dedupe record, KEYS[2] the villager's conversation state.
-- reply: the reply JSON; ttl: the dedupe record's TTL (seconds);
-- state: the new state JSON, '__keep__' (unchanged) or '__clear__' (deleted); state_ttl: its TTL.
local function store_reply(reply, ttl, state, state_ttl)
  redis.call('SET', KEYS[1], reply, 'EX', ttl)
  if state == '__clear__' then
    redis.call('DEL', KEYS[2])
  elseif state ~= '__keep__' then
    redis.call('SET', KEYS[2], state, 'EX', state_ttl)
  end
end
