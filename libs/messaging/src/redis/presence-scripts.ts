// Lua scripts of the presence directory (presence-directory.ts). Entry hash fields: n = node
// holding the connection (absent while offline), t = that connection's token, p = '1' when the
// session is persistent (cleanSession=false).

/** KEYS: entry, node's client set, node set. ARGV: node, token, persistent. */
export const CONNECT_LUA = `
redis.call('HSET', KEYS[1], 'n', ARGV[1], 't', ARGV[2], 'p', ARGV[3])
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1`;

/** KEYS: entry, node's client set. ARGV: node, token. 1 when the entry was this connection's. */
export const DISCONNECT_LUA = `
redis.call('SREM', KEYS[2], KEYS[1])
local v = redis.call('HMGET', KEYS[1], 'n', 't', 'p')
if v[1] ~= ARGV[1] or v[2] ~= ARGV[2] then return 0 end
if v[3] == '1' then redis.call('HDEL', KEYS[1], 'n', 't') else redis.call('DEL', KEYS[1]) end
return 1`;

/** KEYS: entry. ARGV: node key prefix. {node, persistent} (online), 1 (offline-persistent) or 0 (absent). */
export const LOCATE_LUA = `
local v = redis.call('HMGET', KEYS[1], 'n', 'p')
if v[1] and redis.call('EXISTS', ARGV[1] .. v[1] .. ':alive') == 1 then return {v[1], v[2]} end
if v[2] == '1' then return 1 end
return 0`;

/**
 * KEYS: node's client set, node's liveness key, node set. ARGV: node, batch, force. Pops up to
 * \`batch\` entries of a node that is not alive (or any node with force = '1': its own restart) and
 * rewrites those it still holds; -1 when the node is alive, else how many were popped.
 */
export const SWEEP_LUA = `
if ARGV[3] ~= '1' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local keys = redis.call('SPOP', KEYS[1], tonumber(ARGV[2]))
for _, k in ipairs(keys) do
  local v = redis.call('HMGET', k, 'n', 'p')
  if v[1] == ARGV[1] then
    if v[2] == '1' then redis.call('HDEL', k, 'n', 't') else redis.call('DEL', k) end
  end
end
if #keys == 0 then redis.call('SREM', KEYS[3], ARGV[1]) end
return #keys`;
