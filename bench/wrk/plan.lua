-- Replays, in a loop, the request plan that bench/comparatif.py wrote (path in args[1]).
--
-- Plan format (binary-safe, one record per request):
--   H <name>: <value>\n                       a header sent with every request
--   R <METHOD> <path> <content-type|-> <n>\n  then n bytes of body, then \n
-- In a body, __NOM__ becomes a surname unique to this run (args[2] is the run's salt; up to
-- 64 wrk threads), so that every POST of the same contract is a new apprentice, not a duplicate,
-- and every invoice has its own number (every occurrence in one body gets the same name).
-- args[3]: the index of the plan's first request to send (default 0), so that a run goes on
-- where the previous one (the warm-up) stopped: a plan of one-shot requests (invoices, each on
-- its own échéance) is never replayed as long as it is long enough (one thread: -t1).
-- done() prints one JSON line: requests, duration, errors by kind, latency percentiles (µs),
-- `appels` (requests built: sent, answered or not) and `taille` (the plan's length).

local requetes = {}
local suivant = 0
local compteur = 0
appels = 0
taille = 0
local sel = "A"
local gabarit = {}

local function lettres(n)
  local s = ""
  repeat
    local r = n % 26
    s = string.char(65 + r) .. s
    n = (n - r) / 26
  until n == 0
  return s
end

function init(args)
  local fichier = assert(io.open(args[1], "rb"))
  local data = fichier:read("*a")
  fichier:close()
  sel = args[2] or sel
  suivant = tonumber(args[3] or "0")
  local entetes = {}
  local pos = 1
  while pos <= #data do
    local fin = string.find(data, "\n", pos, true)
    local ligne = string.sub(data, pos, fin - 1)
    pos = fin + 1
    if string.sub(ligne, 1, 2) == "H " then
      local nom, valeur = string.match(ligne, "^H ([^:]+): (.*)$")
      entetes[nom] = valeur
    else
      local methode, chemin, type, n = string.match(ligne, "^R (%S+) (%S+) (%S+) (%d+)$")
      n = tonumber(n)
      local corps = string.sub(data, pos, pos + n - 1)
      pos = pos + n + 1
      table.insert(requetes, {methode, chemin, type, corps})
    end
  end
  gabarit = entetes
  taille = #requetes
  suivant = suivant % taille
end

function request()
  appels = appels + 1
  suivant = suivant % #requetes + 1
  local r = requetes[suivant]
  local entetes = {}
  for k, v in pairs(gabarit) do entetes[k] = v end
  local corps = r[4]
  if r[3] ~= "-" then entetes["Content-Type"] = r[3] end
  if string.find(corps, "__NOM__", 1, true) then
    compteur = compteur + 1
    corps = string.gsub(corps, "__NOM__", "BENCH" .. sel .. lettres(compteur * 64 + (fil or 1)))
  end
  if corps == "" then corps = nil end
  return wrk.format(r[1], r[2], entetes, corps)
end

local threads = {}
local numero = 0

function setup(thread)
  numero = numero + 1
  thread:set("fil", numero)
  table.insert(threads, thread)
end

-- 5xx answers, counted apart: 4xx are expected in a mixed plan, a 5xx never is.
erreurs_5xx = 0

function response(status, headers, body)
  if status >= 500 then erreurs_5xx = erreurs_5xx + 1 end
end

function done(summary, latency, requests)
  local n5xx, nappels, ntaille = 0, 0, 0
  for _, thread in ipairs(threads) do
    n5xx = n5xx + thread:get("erreurs_5xx")
    nappels = nappels + thread:get("appels")
    ntaille = thread:get("taille")
  end
  io.write(string.format(
    '{"requetes": %d, "duree_us": %d, "erreurs_statut": %d, "erreurs_5xx": %d, ' ..
    '"erreurs_connexion": %d, "erreurs_lecture": %d, "erreurs_ecriture": %d, "delais": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d, "appels": %d, "taille": %d}\n',
    summary.requests, summary.duration, summary.errors.status, n5xx, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, nappels, ntaille))
end
