-- GET a fixed list of paths in turn, as fast as the connections allow (closed loop): every request
-- of this thread takes the next path, so its connections walk the list round-robin. Args: paths file.
function init(args)
  reqs = {}
  for i, path in ipairs(read_lines(args[1])) do
    reqs[i] = wrk.format("GET", path)
  end
  nxt = thread_index or 0
end

function request()
  nxt = nxt % #reqs + 1
  return reqs[nxt]
end

function response(status, headers, body)
  count_status(status)
end
