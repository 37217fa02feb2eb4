-- POST /login in turn for each prepared account. Args: accounts file (one "email<TAB>password" a line).
function init(args)
  bodies = {}
  for _, line in ipairs(read_lines(args[1])) do
    local email, password = line:match("([^\t]+)\t(.+)")
    bodies[#bodies + 1] = string.format('{"email":"%s","password":"%s"}', email, password)
  end
  headers = {["Content-Type"] = "application/json"}
  nxt = thread_index or 0
end

function request()
  nxt = nxt % #bodies + 1
  return wrk.format("POST", "/login", headers, bodies[nxt])
end

function response(status, headers, body)
  count_status(status)
end
