-- The webhook's one round trip for a message (bot/store/dedupe.py, Deduper.begin). Uses store_reply.lua.
-- KEYS[1] the dedupe record, KEYS[2] the conversation state,
-- KEYS[3] (optional) the captured-URL record of the push's timestamp and nonce (bot/store/replay.py).
-- ARGV[1] mode: 'spec' (ARGV[2] and ARGV[4] are the reply and state computed without a conversation)
--         or 'claim' (only claim the message);
-- ARGV[2] reply JSON, ARGV[3] dedupe TTL, ARGV[4] new state JSON | '__keep__' | '__clear__',
-- ARGV[5] state TTL, ARGV[6] this call's claim marker ('__pending__:<token>');
-- ARGV[7] the body's SHA-256, ARGV[8] the captured-URL record's TTL (both with KEYS[3] only).
-- Returns {'replayed', ''}: the signed URL came with another body (refuse);
--         {'dup', stored}: a retry (stored is the reply JSON, or a claim while the first is at work);
--         {'state', state JSON or ''}: claimed, the caller computes the reply with this state;
--         {'done', ''}: the speculative reply and state are stored.
-- A record holding this call's own marker is this call repeated by the client, not a retry from WeChat.

if KEYS[3] then
  local seen = redis.call('GET', KEYS[3])
  if not seen then
    redis.call('SET', KEYS[3], ARGV[7], 'EX', ARGV[8])
  elseif seen ~= ARGV[7] then
    return {'replayed', ''}
  end
end

local prev = redis.call('GET', KEYS[1])
if prev and string.sub(prev, 1, #ARGV[6]) ~= ARGV[6] then return {'dup', prev} end
local state = redis.call('GET', KEYS[2])
if state or ARGV[1] == 'claim' then
  redis.call('SET', KEYS[1], ARGV[6], 'EX', ARGV[3])
  return {'state', state or ''}
end
store_reply(ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return {'done', ''}
