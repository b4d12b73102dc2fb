-- Per-domain spam policy for the Fayvad stack (rendered by deploy/stack.sh into $LOCAL_CONFDIR; docs/adr/0035).
-- The maps are rendered from PostgreSQL's directory.spam_domains and directory.spam_sender_rules views every 2 s
-- (deploy/lib/spammaps.sh); rspamd rereads a changed map file within seconds (map_watch_interval, local.d/options.inc),
-- so a change made through the API applies to the next message.
--   domains.map: "<domain> <antispam 0|1> <spam_threshold>"
--   senders.map: "<recipient domain>|<sender address or @sender domain> allow|block"
-- Spam is never refused here, it is filed (a refused message is one the user cannot look for): "add header" makes
-- the milter stamp X-Spam: Yes, which Dovecot's sieve_after script files into Junk.
local N = 'fayvad'
local GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'

local domains = rspamd_config:add_map({
  type = 'map',
  url = 'file://${RSPAMD_MAPS_DIR}/domains.map',
  description = 'Fayvad: antispam and spam_threshold per domain',
})
local senders = rspamd_config:add_map({
  type = 'map',
  url = 'file://${RSPAMD_MAPS_DIR}/senders.map',
  description = 'Fayvad: allow and block lists per domain',
})

-- What the recipients' domains ask for: filtering is on when any recipient's domain has antispam on (a domain the map
-- does not list, i.e. mail our users send elsewhere, counts as on with the default threshold); the lowest threshold.
local function recipient_policy(task)
  local on, threshold, on_domains = false, nil, {}
  for _, rcpt in ipairs(task:get_recipients('smtp') or {}) do
    local domain = (rcpt.domain or ''):lower()
    local value = domains and domains:get_key(domain)
    local flag, t = 1, nil
    if value then
      local f, th = tostring(value):match('^(%d)%s+([%d.]+)')
      flag, t = tonumber(f) or 1, tonumber(th)
    end
    if flag == 1 then
      on = true
      if t and (threshold == nil or t < threshold) then threshold = t end
      table.insert(on_domains, domain)
    end
  end
  return on, threshold, on_domains
end

-- block wins over allow; an address entry and a domain entry count alike.
local function sender_listing(task, on_domains)
  if not senders then return nil end
  local from = (task:get_from('smtp') or {})[1]
  if not from or not from.addr or from.addr == '' then return nil end
  local addr, sdomain = from.addr:lower(), (from.domain or ''):lower()
  local listing = nil
  for _, d in ipairs(on_domains) do
    for _, key in ipairs({ d .. '|' .. addr, d .. '|@' .. sdomain }) do
      local v = senders:get_key(key)
      if v == 'block' then return 'block' end
      if v == 'allow' then listing = 'allow' end
    end
  end
  return listing
end

local function spam(task, message, score)
  task:set_pre_result({ action = 'add header', message = message, module = N, score = score, priority = 10 })
end

-- Before the message is parsed: rspamd 3.4 fixes "reject" for the GTUBE string while parsing and runs no rule after
-- that, so the decisions that must win over it are taken here, where the whole message is already at hand.
local policy_id = rspamd_config:register_symbol({
  name = 'FAYVAD_RECIPIENT_POLICY',
  type = 'connfilter',
  priority = 10,
  flags = 'empty,nostat',
  callback = function(task)
    local on, _, on_domains = recipient_policy(task)
    if not on then
      -- Not scanned at all: no score, no headers, delivered to the inbox.
      task:set_flag('skip')
      return
    end
    local listing = sender_listing(task, on_domains)
    if listing == 'block' then
      spam(task, 'sender on the domain block list')
    elseif listing == 'allow' then
      task:set_pre_result({ action = 'no action', message = 'sender on the domain allow list', module = N,
        priority = 10 })
    elseif string.find(tostring(task:get_content() or ''), GTUBE, 1, true) then
      -- Scored too, so the message's stamp (and the API's spam_score) shows why it is spam.
      task:insert_result('FAYVAD_GTUBE', 1.0)
      spam(task, 'GTUBE test string', 1000)
    end
  end,
})
rspamd_config:register_symbol({ name = 'FAYVAD_GTUBE', type = 'virtual', parent = policy_id, flags = 'empty,nostat' })
rspamd_config:set_metric_symbol({ name = 'FAYVAD_GTUBE', score = 1000, group = 'fayvad',
  description = 'The GTUBE anti-spam test string' })

-- After every rule, before milter_headers (an idempotent symbol, the stage after this) reads the action: the domain's
-- spam_threshold decides.
rspamd_config:register_symbol({
  name = 'FAYVAD_SPAM_THRESHOLD',
  type = 'postfilter',
  priority = 10,
  flags = 'empty,nostat',
  callback = function(task)
    if task:has_pre_result() then return end
    local _, threshold = recipient_policy(task)
    threshold = threshold or ${RSPAMD_DEFAULT_THRESHOLD}
    local score = task:get_metric_score()[1] or 0
    task:set_pre_result({ action = score >= threshold and 'add header' or 'no action',
      message = string.format('spam_threshold %s', threshold), module = N, priority = 10 })
  end,
})
