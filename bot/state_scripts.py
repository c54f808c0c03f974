"""The Lua scripts behind `RedisStateStore`: every write is one script, so it is atomic.

Redis runs one script at a time, so a script is what `BEGIN IMMEDIATE … COMMIT` is to
`SqliteStateStore`: each claim reads and decides in one step no other instance can cut into.
Every script starts with `PRELUDE`, which settles what time alone decides before the write
(as `SqliteStateStore._apply_retention` does), and answers `{abandoned ids, expired count,
answer}`. Times are passed in as Python's exact float text and never computed in Lua.

Fixed ARGV: 1 key prefix, 2 now, 3 claims older than this are abandoned, 4 retention cutoff,
5 abandoned detail, 6 expired detail; each script's own arguments follow (`A(1)` is ARGV[7]).
Keys (under the prefix): `change:<id>` and `send:<id>` hashes; `changes` and
`changes:exten:<exten>` sorted sets of change IDs; `sends` (by created_at, member
"<seq>:<id>" so equal times keep insertion order); `sends:inflight` (in-progress sends by
claimed_at); `sends:unsettled` (sends still pending or holding text, by created_at).
The keys are built inside the scripts from the prefix: a single Redis, not Redis Cluster.
"""

from __future__ import annotations

PRELUDE = """
local P, NOW = ARGV[1], ARGV[2]
local function A(i) return ARGV[6 + i] end
local INFLIGHT, UNSETTLED = P .. ':sends:inflight', P .. ':sends:unsettled'
local function send_key(id) return P .. ':send:' .. id end
local function change_key(id) return P .. ':change:' .. id end

local abandoned = redis.call('zrangebyscore', INFLIGHT, '-inf', '(' .. ARGV[3])
for _, id in ipairs(abandoned) do
  redis.call('hset', send_key(id), 'status', 'unknown', 'finished_at', NOW, 'detail', ARGV[5])
  redis.call('zrem', INFLIGHT, id)
end
local expired = 0
for _, id in ipairs(redis.call('zrangebyscore', UNSETTLED, '-inf', ARGV[4])) do
  local status = redis.call('hget', send_key(id), 'status')
  if status == 'pending' then
    redis.call('hset', send_key(id), 'status', 'expired', 'finished_at', NOW,
               'detail', ARGV[6], 'body_json', '')
    redis.call('zrem', UNSETTLED, id)
    expired = expired + 1
  elseif status ~= 'in_progress' then  -- a send in flight keeps its text until it ends
    redis.call('hset', send_key(id), 'body_json', '')
    redis.call('zrem', UNSETTLED, id)
  end
end
local function done(answer) return {abandoned, expired, answer} end
"""

# A(1) user, A(2) action, A(3) exten, A(4) group name, A(5) before, A(6) after, A(7) outcome,
# A(8) detail, A(9) undo_of or ''  →  the new ID, or 'missing' when undo_of does not exist
RECORD_CHANGE = """
local undo_of = A(9)
if undo_of ~= '' and redis.call('exists', change_key(undo_of)) == 0 then
  return done('missing')
end
local id = redis.call('incr', P .. ':changes:seq')
redis.call('hset', change_key(id), 'id', id, 'at', NOW, 'user_id', A(1), 'action', A(2),
           'exten', A(3), 'group_name', A(4), 'before_json', A(5), 'after_json', A(6),
           'outcome', A(7), 'detail', A(8), 'undo_of', undo_of, 'undone_by', '',
           'undo_claimed_at', '', 'undo_claimed_by', '')
redis.call('zadd', P .. ':changes', id, id)
redis.call('zadd', P .. ':changes:exten:' .. A(3), id, id)
return done(id)
"""

# A(1) change ID, A(2) user, A(3) reservations older than this are abandoned  →  1 or 0
CLAIM_UNDO = """
local key = change_key(A(1))
local found = redis.call('hmget', key, 'id', 'undone_by', 'undo_claimed_at')
if found[1] and found[2] == '' and (found[3] == '' or tonumber(found[3]) < tonumber(A(3))) then
  redis.call('hset', key, 'undo_claimed_at', NOW, 'undo_claimed_by', A(2))
  return done(1)
end
return done(0)
"""

# A(1) change ID, A(2) undoing change ID or '' to release
#   →  'missing' | 'released' | 'missing_undo' | 'kept:<earlier undo ID>' | 'done'
FINISH_UNDO = """
local key = change_key(A(1))
local undone_by = redis.call('hget', key, 'undone_by')
if not undone_by then return done('missing') end
if A(2) == '' then
  if undone_by == '' then
    redis.call('hset', key, 'undo_claimed_at', '', 'undo_claimed_by', '')
  end
  return done('released')
end
if redis.call('exists', change_key(A(2))) == 0 then return done('missing_undo') end
if undone_by ~= '' and undone_by ~= A(2) then return done('kept:' .. undone_by) end
redis.call('hset', key, 'undone_by', A(2), 'undo_claimed_at', '', 'undo_claimed_by', '')
return done('done')
"""

# A(1) ID, A(2) created_at, A(3) user, A(4) session ID, A(5) from account, A(6) to account,
# A(7) template, A(8) language, A(9) msg_random, A(10) body  (A(4)…A(8) JSON: they may be null)
#   →  'saved' | 'exists'
SAVE_PREVIEW = """
local key = send_key(A(1))
if redis.call('exists', key) == 1 then return done('exists') end
local seq = redis.call('incr', P .. ':sends:seq')
redis.call('hset', key, 'id', A(1), 'created_at', A(2), 'user_id', A(3), 'session_id', A(4),
           'from_account', A(5), 'to_account', A(6), 'template', A(7), 'language', A(8),
           'msg_random', A(9), 'body_json', A(10), 'status', 'pending', 'detail', '',
           'claimed_at', '', 'finished_at', '')
redis.call('zadd', P .. ':sends', A(2), string.format('%016d', seq) .. ':' .. A(1))
redis.call('zadd', UNSETTLED, A(2), A(1))
return done('saved')
"""

# A(1) ID  →  'claimed', 'not_found', or the status that refused the claim
CLAIM_SEND = """
local key = send_key(A(1))
local status = redis.call('hget', key, 'status')
if not status then return done('not_found') end
if status ~= 'pending' then return done(status) end
redis.call('hset', key, 'status', 'in_progress', 'claimed_at', NOW)
redis.call('zadd', INFLIGHT, NOW, A(1))
return done('claimed')
"""

# A(1) ID, A(2) outcome, A(3) detail  →  'ok' | 'missing' | 'not_in_progress:<status>'
FINISH_SEND = """
local key = send_key(A(1))
local status = redis.call('hget', key, 'status')
if not status then return done('missing') end
if status ~= 'in_progress' and status ~= 'unknown' then
  return done('not_in_progress:' .. status)
end
redis.call('zrem', INFLIGHT, A(1))
if A(2) == 'retryable' then
  redis.call('hset', key, 'status', 'pending', 'claimed_at', '', 'finished_at', '',
             'detail', A(3))
  redis.call('zadd', UNSETTLED, redis.call('hget', key, 'created_at'), A(1))
else
  redis.call('hset', key, 'status', A(2), 'finished_at', NOW, 'detail', A(3), 'body_json', '')
  redis.call('zrem', UNSETTLED, A(1))
end
return done('ok')
"""

# A(1) ID, A(2) detail  →  1 when cancelled, 0 when it was not pending
CANCEL_PREVIEW = """
local key = send_key(A(1))
if redis.call('hget', key, 'status') ~= 'pending' then return done(0) end
redis.call('hset', key, 'status', 'cancelled', 'finished_at', NOW, 'detail', A(2),
           'body_json', '')
redis.call('zrem', UNSETTLED, A(1))
return done(1)
"""

WRITES: dict[str, str] = {
    "RECORD_CHANGE": RECORD_CHANGE,
    "CLAIM_UNDO": CLAIM_UNDO,
    "FINISH_UNDO": FINISH_UNDO,
    "SAVE_PREVIEW": SAVE_PREVIEW,
    "CLAIM_SEND": CLAIM_SEND,
    "FINISH_SEND": FINISH_SEND,
    "CANCEL_PREVIEW": CANCEL_PREVIEW,
}
