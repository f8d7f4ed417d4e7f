-- wrk script: POST everyday questions to the chat API, in turn. As new
-- visitors (no session id), or with the argument `sessions` as 10,000
-- residents in conversation: each request carries one of their session ids,
-- so the server looks each conversation up before it answers and keeps it
-- after.
--   wrk ... -s benches/chat.lua URL [-- sessions]
local questions = {
  "コンビニで住民票って取れる？",
  "マイナンバーカードをなくしてしまいました",
  "引っ越しの手続き",
  "要介護認定の申請方法を教えてください",
  "児童手当はいくらもらえますか",
  "宇宙旅行の申し込み",
  "ありがとう",
}
local i = 0
local sessions = false
local thread_id = 0
setup = function(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end
init = function(args)
  sessions = args[1] == "sessions"
end
request = function()
  i = i + 1
  local question = questions[(i % #questions) + 1]
  local body
  if sessions then
    body = '{"session_id":"bench-' .. thread_id .. '-' .. (i % 5000) .. '","text":"' .. question .. '"}'
  else
    body = '{"text":"' .. question .. '"}'
  end
  return wrk.format("POST", "/api/v1/chat", { ["Content-Type"] = "application/json" }, body)
end
response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
