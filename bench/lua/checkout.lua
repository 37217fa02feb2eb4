-- POST /api/cart/checkout once per prepared user (token file, one per line; each has a filled cart).
-- Args: token file, wrk thread count, idempotency-key prefix. Stops when every cart was checked out.
function init(args)
  tokens = read_lines(args[1])
  step = tonumber(args[2])
  prefix = args[3]
  nxt = (thread_index or 0) + 1
end

function request()
  if nxt > #tokens then
    return wrk.format("GET", "/health")
  end
  local headers = {["Authorization"] = "Bearer " .. tokens[nxt], ["Idempotency-Key"] = prefix .. "-" .. nxt}
  nxt = nxt + step
  return wrk.format("POST", "/api/cart/checkout", headers, "")
end

function response(status, headers, body)
  count_status(status)
  if nxt > #tokens then
    wrk.thread:stop()
  end
end
