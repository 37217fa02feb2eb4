-- GET one path as fast as the connections allow (closed loop). Args: path.
function init(args)
  req = wrk.format("GET", args[1])
end

function request()
  return req
end
