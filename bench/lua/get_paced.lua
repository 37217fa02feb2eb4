-- GET one path at a steady pace: each connection waits `delay_ms` before each request. Args: path, delay_ms.
function init(args)
  req = wrk.format("GET", args[1])
  pause = tonumber(args[2])
end

function request()
  return req
end

function delay()
  return pause
end
