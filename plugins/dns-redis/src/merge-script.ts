/**
 * Lua run inside Redis so a label's read-modify-write is atomic even with other writers:
 * KEYS[1] = zone hash, ARGV[1] = field (label), ARGV[2] = JSON patch where each type maps to
 * its new value or `false` (remove that type). Keys of the stored object that tfgw does not
 * know (other tools' extensions) are kept. Empty tables are dropped so no `"a": {}` is ever
 * written (Go's json would refuse it). Returns 1 when the field was written, 0 when removed,
 * -1 when nothing was there and nothing was written.
 */
export const MERGE_LUA = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local obj = {}
if cur then
  local ok, v = pcall(cjson.decode, cur)
  if ok and type(v) == 'table' then obj = v end
end
local patch = cjson.decode(ARGV[2])
for k, v in pairs(patch) do
  if v == false then obj[k] = nil else obj[k] = v end
end
for k, v in pairs(obj) do
  if type(v) == 'table' and next(v) == nil then obj[k] = nil end
end
if next(obj) == nil then
  if cur then redis.call('HDEL', KEYS[1], ARGV[1]) return 0 end
  return -1
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(obj))
return 1
`;
