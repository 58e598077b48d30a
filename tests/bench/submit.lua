-- wrk: POST a rating to /r/{code}, walking through the codes in the file
-- given as the script's argument; each thread starts at its own offset.
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
  return wrk.format("POST", "/r/" .. code, { ["Content-Type"] = "application/json" }, body)
end
