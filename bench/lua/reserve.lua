-- POST /api/inventory/reservations with a new reference each time: one unit of a random product.
-- Args: product id file, service token, reference prefix.
function init(args)
  ids = read_lines(args[1])
  headers = {["Authorization"] = "Bearer " .. args[2], ["Content-Type"] = "application/json"}
  prefix = args[3] .. "-" .. (thread_index or 0) .. "-"
  counter = 0
end

function request()
  counter = counter + 1
  local body = string.format('{"reference":"%s%d","items":[{"product_id":%s,"quantity":1}]}',
    prefix, counter, ids[math.random(#ids)])
  return wrk.format("POST", "/api/inventory/reservations", headers, body)
end

function response(status, headers, body)
  count_status(status)
end
