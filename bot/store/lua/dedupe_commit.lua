-- Store the reply of a claimed message and its state change (Deduper.commit). Uses store_reply.lua.
-- KEYS[1] the dedupe record, KEYS[2] the conversation state.
-- ARGV[1] reply JSON, ARGV[2] dedupe TTL, ARGV[3] new state JSON | '__keep__' | '__clear__', ARGV[4] state TTL.
-- Returns what the record held before: the claim, ending in '|late' when a retry gave up waiting.

local prev = redis.call('GET', KEYS[1]) or ''
store_reply(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return prev
