-- wrk script: POST everyday questions to the chat API, in turn.
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
request = function()
  i = i + 1
  local body = '{"text":"' .. questions[(i % #questions) + 1] .. '"}'
  return wrk.format("POST", "/api/v1/chat", { ["Content-Type"] = "application/json" }, body)
end
response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
