-- wrk: POST a rating to /r/{code}, walking through the codes in the file
-- given as the script's argument; each thread starts at its own offset.
-- Each request names its own client in X-Forwarded-For (32,768 addresses
-- in turn; load.sh tells the server to trust the header), so the per-client
-- rate limit sees many customers, as in production, not one flooding host.
local codes = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    codes[#codes + 1] = line
  end
  i = math.random(#codes)
end

function request()
  i = i + 1
  local code = codes[(i % #codes) + 1]
  local body = '{"score":' .. (i % 5 + 1) .. ',"answers":{"speed":4}}'
  local client = "10.0." .. (math.floor(i / 256) % 128) .. "." .. (i % 256)
  local headers = { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = client }
  return wrk.format("POST", "/r/" .. code, headers, body)
end
