-- Push hints for the Fayvad API (docs/adr/0021), run by Dovecot's push_notification Lua driver in every mail
-- process (imap, lmtp, doveadm). After each committed transaction that changed mail or folders, one UDP datagram
--   "fayvad-hint 1\t<user>\t<folder>\t<folder>..."
-- goes to each address in the plugin setting fayvad_push_hints ("127.0.0.1:10300", space separated for several).
-- A hint only says "look at this mailbox": the API finds what changed itself. So the script must never block or
-- fail a delivery: UDP sendto does not wait for a reader, every call is wrapped in pcall, and a missing lua-socket
-- or a bad address only costs hints (the API's sweep repairs them), never mail.

local ok, socket = pcall(require, "socket")
local udp = nil
local targets = nil
local MAX_BYTES = 1200 -- one datagram, well under any loopback MTU; more folders means "the whole mailbox"

local function parse_targets(setting)
  local list = {}
  for host, port in string.gmatch(setting or "", "([^%s:]+):(%d+)") do
    table.insert(list, { host = host, port = tonumber(port) })
  end
  return list
end

local function send(user, folders)
  if not ok then
    return
  end
  if targets == nil then
    targets = parse_targets(user:plugin_getenv("fayvad_push_hints"))
  end
  if #targets == 0 then
    return
  end
  if udp == nil then
    udp = socket.udp()
    udp:settimeout(0)
  end
  local payload = "fayvad-hint 1\t" .. user.username
  for folder in pairs(folders) do
    if #payload + #folder + 1 > MAX_BYTES then
      payload = "fayvad-hint 1\t" .. user.username
      break
    end
    payload = payload .. "\t" .. folder
  end
  for _, target in ipairs(targets) do
    udp:sendto(payload, target.host, target.port)
  end
end

function dovecot_lua_notify_begin_txn(user)
  return { user = user, folders = {}, changed = false }
end

local function note(ctx, event)
  ctx.changed = true
  if event.mailbox then
    ctx.folders[event.mailbox] = true
  end
  if event.mailbox_old then
    ctx.folders[event.mailbox_old] = true
  end
end

function dovecot_lua_notify_end_txn(ctx, success)
  if success == false or not ctx.changed then
    return
  end
  local sent, err = pcall(send, ctx.user, ctx.folders)
  if not sent then
    pcall(dovecot.i_warning, "fayvad push hint not sent: " .. tostring(err))
  end
end

-- Every change a client can see: new and appended messages, flags, expunges, folders.
function dovecot_lua_notify_event_message_new(ctx, event) note(ctx, event) end
function dovecot_lua_notify_event_message_append(ctx, event) note(ctx, event) end
function dovecot_lua_notify_event_message_expunge(ctx, event) note(ctx, event) end
function dovecot_lua_notify_event_flags_set(ctx, event) note(ctx, event) end
function dovecot_lua_notify_event_flags_clear(ctx, event) note(ctx, event) end
function dovecot_lua_notify_event_mailbox_create(ctx, event) note(ctx, event) end
function dovecot_lua_notify_event_mailbox_delete(ctx, event) note(ctx, event) end
function dovecot_lua_notify_event_mailbox_rename(ctx, event) note(ctx, event) end
