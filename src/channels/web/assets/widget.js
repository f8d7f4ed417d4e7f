/* madoguchi chat widget: add
 *   <script src="https://…/widget.js" data-title="海津市 AIチャットボット" data-color="#00529b" defer></script>
 * to a page. Everything lives in a Shadow DOM, so the page's CSS cannot break
 * it, and text from the server is only ever inserted as text. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__madoguchiWidget) return;
  window.__madoguchiWidget = true;

  var API = new URL(script.src, location.href).origin;
  var TITLE = script.getAttribute("data-title") || "AIチャットボット";
  var COLOR = /^#[0-9a-fA-F]{3,8}$/.test(script.getAttribute("data-color") || "") ? script.getAttribute("data-color") : "#00529b";
  var STORE = "madoguchi:" + API;
  // Kept across closing the page while staff have the conversation.
  var HANDOFF = "madoguchi-handoff:" + API;

  var state = load() || { session: null, open: false, large: false, log: [] };
  // The widget's own words: Japanese until the server says them in the
  // resident's language (GET /api/v1/texts).
  var T = {
    open: "質問する", close: "閉じる", larger: "文字 大", larger_label: "文字を大きくする",
    furigana: "ふりがな", furigana_label: "漢字にふりがなをつける", easy: "やさしい",
    easy_label: "やさしい日本語でこたえる", input_label: "質問を入力",
    placeholder: "例：住民票をコンビニで取りたい", send: "送信", thinking: "回答を考えています…",
    busy: "ただいま混み合っています。少し待ってからもう一度お試しください。",
    offline: "通信できませんでした。時間をおいてもう一度お試しください。",
    helpful_prompt: "役に立ちましたか？", yes: "はい", no: "いいえ", thanks: "ご回答ありがとうございました。",
    contact: "問い合わせ：", staff: "職員", staff_working: "職員が対応しています",
    staff_waiting: "職員の対応をお待ちください", sent_to_staff: "職員に送りました",
    back_to_bot: "ボットに戻る", disaster: "【災害情報】", more: "詳しくはこちら"
  };
  if (!state.session) {
    var left = loadHandoff();
    if (left) { state.session = left.session; state.ticket = { id: left.ticket, state: "waiting" }; state.after = 0; }
  }

  function loadHandoff() {
    try { return JSON.parse(localStorage.getItem(HANDOFF)); } catch (e) { return null; }
  }
  function saveHandoff() {
    try {
      if (state.ticket) localStorage.setItem(HANDOFF, JSON.stringify({ session: state.session, ticket: state.ticket.id }));
      else localStorage.removeItem(HANDOFF);
    } catch (e) { /* private mode */ }
  }

  function load() {
    try { return JSON.parse(sessionStorage.getItem(STORE)); } catch (e) { return null; }
  }
  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  var host = document.createElement("div");
  host.setAttribute("data-madoguchi", "");
  var root = host.attachShadow({ mode: "open" });
  var css = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:system-ui,'Hiragino Sans','Noto Sans JP','Yu Gothic',sans-serif}",
    ".launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;min-width:64px;min-height:64px;border-radius:32px;border:3px solid #fff;background:" + COLOR + ";color:#fff;font-size:18px;font-weight:bold;padding:0 20px;cursor:pointer;box-shadow:0 2px 10px rgba(0,0,0,.35)}",
    ".launcher:focus-visible,button:focus-visible,a:focus-visible,textarea:focus-visible{outline:4px solid #ffbf00;outline-offset:2px}",
    ".panel{position:fixed;right:16px;bottom:96px;z-index:2147483000;width:min(420px,calc(100vw - 16px));height:min(640px,calc(100vh - 112px));display:flex;flex-direction:column;background:#fff;color:#111;border:2px solid #111;border-radius:12px;overflow:hidden;font-size:18px;line-height:1.6}",
    ".panel[hidden]{display:none}",
    ".large .panel{font-size:22px}",
    "@media (max-width:480px){.panel{right:8px;left:8px;width:auto;bottom:88px;height:calc(100vh - 100px)}}",
    "header{display:flex;align-items:center;gap:8px;padding:8px 8px 8px 16px;background:" + COLOR + ";color:#fff}",
    "header h2{flex:1;margin:0;font-size:1em}",
    ".tools{display:flex;gap:6px;flex-wrap:wrap;padding:6px 8px;background:#eef3f8;border-bottom:1px solid #555}",
    ".tools select,.tools button{min-height:44px;border:2px solid " + COLOR + ";border-radius:8px;background:#fff;color:#003366;font-size:14px;padding:0 8px;cursor:pointer}",
    ".tools button[aria-pressed=true]{background:" + COLOR + ";color:#fff}",
    "header button{min-width:44px;min-height:44px;border:2px solid #fff;border-radius:8px;background:transparent;color:#fff;font-size:14px;padding:0 6px;cursor:pointer}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:#f4f4f4}",
    ".msg{max-width:92%;padding:10px 14px;border-radius:12px;white-space:pre-wrap;word-break:break-word}",
    ".bot{align-self:flex-start;background:#fff;border:1px solid #555}",
    ".me{align-self:flex-end;background:#e3eefa;border:1px solid " + COLOR + "}",
    ".actions{display:flex;flex-direction:column;gap:8px;margin-top:8px}",
    ".actions button,.actions a{display:block;min-height:44px;padding:8px 12px;border:2px solid " + COLOR + ";border-radius:8px;background:#fff;color:#003366;font-size:1em;text-align:left;text-decoration:none;cursor:pointer}",
    ".actions a.proc{background:" + COLOR + ";color:#fff;font-weight:bold}",
    ".actions a.proc::after{content:' ↗'}",
    ".contact{margin-top:8px;padding-top:8px;border-top:1px dashed #555;font-size:.9em}",
    ".feedback{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin-top:8px;font-size:.9em}",
    ".feedback button{min-width:88px;min-height:44px;border:2px solid #111;border-radius:8px;background:#fff;font-size:1em;cursor:pointer}",
    ".typing{align-self:flex-start;color:#333;font-style:italic}",
    ".banner{padding:10px 14px;background:#b3261e;color:#fff;font-weight:bold;white-space:pre-wrap;word-break:break-word}",
    ".banner[hidden]{display:none}",
    ".banner a{color:#fff;text-decoration:underline}",
    ".handoff{display:flex;align-items:center;gap:8px;padding:8px 12px;background:#fff4d6;border-bottom:2px solid #b36b00;color:#5c3700;font-weight:bold}",
    ".handoff[hidden]{display:none}",
    ".handoff span{flex:1}",
    ".handoff button{min-height:44px;border:2px solid #5c3700;border-radius:8px;background:#fff;color:#5c3700;font-size:.9em;cursor:pointer}",
    ".staff{align-self:flex-start;background:#fff8e6;border:2px solid #b36b00}",
    ".staff b{display:block;font-size:.85em;color:#5c3700}",
    ".system{align-self:center;color:#333;font-size:.9em;font-style:italic;text-align:center}",
    ".sent{align-self:flex-end;color:#333;font-size:.85em}",
    ".notice{margin-bottom:8px;padding:6px 10px;border-left:6px solid #b3261e;background:#fdecea;color:#7a1a14;font-size:.9em}",
    "form{display:flex;gap:8px;padding:8px;border-top:2px solid #111;background:#fff}",
    "textarea{flex:1;min-height:48px;max-height:120px;resize:none;padding:8px;border:2px solid #111;border-radius:8px;font-size:1em;line-height:1.4}",
    "form button{min-width:72px;min-height:48px;border:none;border-radius:8px;background:" + COLOR + ";color:#fff;font-size:1em;font-weight:bold;cursor:pointer}",
    "rt{font-size:.55em;font-weight:normal}",
    ".ruby{line-height:2.3}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}"
  ].join("\n");
  // A constructed stylesheet is not an inline style, so the widget keeps
  // its look on pages whose Content-Security-Policy forbids inline styles.
  if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function" && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    var style = document.createElement("style");
    style.textContent = css;
    root.appendChild(style);
  }

  var wrap = el("div", state.large ? "large" : "");
  var launcher = el("button", "launcher", "質問する");
  launcher.type = "button";
  launcher.setAttribute("aria-haspopup", "dialog");
  launcher.setAttribute("aria-expanded", "false");
  var panel = el("section", "panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", TITLE);
  panel.hidden = true;

  var header = el("header");
  var title = el("h2", "", TITLE);
  var sizeButton = el("button", "", "文字 大");
  sizeButton.type = "button";
  sizeButton.setAttribute("aria-pressed", String(state.large));
  sizeButton.setAttribute("aria-label", "文字を大きくする");
  var rubyButton = el("button", "", "ふりがな");
  rubyButton.type = "button";
  rubyButton.setAttribute("aria-pressed", String(!!state.furigana));
  rubyButton.setAttribute("aria-label", "漢字にふりがなをつける");
  var easyButton = el("button", "", "やさしい");
  easyButton.type = "button";
  easyButton.setAttribute("aria-pressed", String(!!state.easy));
  easyButton.setAttribute("aria-label", "やさしい日本語でこたえる");
  // The language, each named in itself; the browser's until chosen.
  var langSelect = document.createElement("select");
  langSelect.setAttribute("aria-label", "言語 / Language");
  [["", "言語"], ["ja", "日本語"], ["en", "English"], ["pt", "Português"], ["zh", "中文"], ["vi", "Tiếng Việt"], ["tl", "Tagalog"]].forEach(function (pair) {
    var option = el("option", "", pair[1]);
    option.value = pair[0];
    langSelect.appendChild(option);
  });
  langSelect.value = state.lang || "";
  var closeButton = el("button", "", "✕");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", "閉じる");
  header.append(title, closeButton);
  // How to read the answers: language, やさしい日本語, ふりがな, size.
  var tools = el("div", "tools");
  tools.append(langSelect, easyButton, rubyButton, sizeButton);

  // Disaster mode's notice, above the conversation while it is on.
  var banner = el("div", "banner");
  banner.setAttribute("role", "status");
  banner.hidden = true;

  // While staff have the conversation.
  var handoffBar = el("div", "handoff");
  handoffBar.setAttribute("role", "status");
  handoffBar.hidden = true;
  var handoffText = el("span", "", "");
  var backButton = el("button", "", "ボットに戻る");
  backButton.type = "button";
  backButton.addEventListener("click", function () { ask({ text: "ボットに戻る" }, "ボットに戻る"); });
  handoffBar.append(handoffText, backButton);

  var log = el("div", "log");
  log.setAttribute("role", "log");
  var live = el("div", "sr");
  live.setAttribute("aria-live", "polite");
  live.setAttribute("aria-atomic", "true");

  var form = el("form");
  var label = el("label", "sr", "質問を入力");
  label.htmlFor = "madoguchi-input";
  var input = document.createElement("textarea");
  input.id = "madoguchi-input";
  input.maxLength = 500;
  input.placeholder = "例：住民票をコンビニで取りたい";
  input.setAttribute("enterkeyhint", "send");
  var send = el("button", "", "送信");
  send.type = "submit";
  form.append(label, input, send);

  panel.append(header, tools, banner, handoffBar, log, live, form);
  wrap.append(launcher, panel);
  root.appendChild(wrap);
  (document.body || document.documentElement).appendChild(host);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function setOpen(open, restoreFocus) {
    state.open = open;
    save();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      checkNotice();
      if (!log.childNodes.length) start();
      input.focus();
    } else if (restoreFocus) {
      launcher.focus();
    }
  }

  launcher.addEventListener("click", function () { setOpen(panel.hidden, true); });
  closeButton.addEventListener("click", function () { setOpen(false, true); });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { event.preventDefault(); setOpen(false, true); }
  });
  langSelect.addEventListener("change", function () {
    state.lang = langSelect.value || null;
    save();
    loadTexts();
  });

  // The widget's words in the chosen language, else the browser's.
  function loadTexts() {
    fetch(API + "/api/v1/texts" + (state.lang ? "?lang=" + encodeURIComponent(state.lang) : ""))
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (json) { if (json && json.texts) { T = json.texts; applyTexts(); } })
      .catch(function () {});
  }

  function applyTexts() {
    launcher.textContent = T.open;
    closeButton.setAttribute("aria-label", T.close);
    sizeButton.textContent = T.larger;
    sizeButton.setAttribute("aria-label", T.larger_label);
    rubyButton.textContent = T.furigana;
    rubyButton.setAttribute("aria-label", T.furigana_label);
    easyButton.textContent = T.easy;
    easyButton.setAttribute("aria-label", T.easy_label);
    label.textContent = T.input_label;
    input.placeholder = T.placeholder;
    send.textContent = T.send;
    backButton.textContent = T.back_to_bot;
    showHandoff();
  }
  easyButton.addEventListener("click", function () {
    state.easy = !state.easy;
    easyButton.setAttribute("aria-pressed", String(state.easy));
    save();
  });
  rubyButton.addEventListener("click", function () {
    state.furigana = !state.furigana;
    rubyButton.setAttribute("aria-pressed", String(state.furigana));
    save();
  });
  sizeButton.addEventListener("click", function () {
    state.large = !state.large;
    wrap.className = state.large ? "large" : "";
    sizeButton.setAttribute("aria-pressed", String(state.large));
    save();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    ask({ text: text }, text);
  });

  function start() {
    showHandoff();
    if (state.log.length || state.ticket) {
      state.log.forEach(function (item) { render(item, false); });
      poll();
      return;
    }
    ask({ text: "メニュー" }, null);
  }

  function showHandoff() {
    handoffBar.hidden = !state.ticket;
    if (state.ticket) {
      handoffText.textContent = state.ticket.state === "open" ? T.staff_working : T.staff_waiting;
    }
    saveHandoff();
  }

  // Staff's replies, fetched while they have the conversation (the server
  // holds each request until there is news, up to 20 s).
  var polling = false;
  function poll() {
    if (!state.ticket || polling || !state.session) return;
    polling = true;
    fetch(API + "/api/v1/handoff?session_id=" + encodeURIComponent(state.session) + "&after=" + (state.after || 0))
      .then(function (response) { if (!response.ok) throw new Error("status"); return response.json(); })
      .then(function (news) {
        polling = false;
        (news.messages || []).forEach(function (message) {
          state.after = Math.max(state.after || 0, message.id);
          remember(message.kind === "staff" ? { staff: message.text } : { system: message.text });
        });
        if (!news.ticket || news.ticket.state === "closed") {
          state.ticket = null;
        } else {
          state.ticket = { id: news.ticket.id, state: news.ticket.state };
        }
        save();
        showHandoff();
        poll();
      })
      .catch(function () { polling = false; setTimeout(poll, 3000); });
  }

  function checkNotice() {
    fetch(API + "/api/v1/notice").then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (json) {
      if (json) showNotice(json.notice);
    }).catch(function () {});
  }

  function showNotice(notice) {
    while (banner.firstChild) banner.removeChild(banner.firstChild);
    banner.hidden = !notice;
    if (!notice) return;
    banner.appendChild(document.createTextNode(T.disaster + notice.text));
    if (notice.link && /^https?:\/\//.test(notice.link)) {
      banner.appendChild(document.createElement("br"));
      var a = el("a", "", T.more);
      a.href = notice.link;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      banner.appendChild(a);
    }
  }

  function ask(body, shown) {
    if (shown) { remember({ me: shown }); }
    if (state.session) body.session_id = state.session;
    // Said every time: the server keeps the last for the session.
    body.furigana = !!state.furigana;
    body.easy = !!state.easy;
    if (state.lang) body.lang = state.lang;
    var typing = el("div", "typing", T.thinking);
    typing.setAttribute("aria-hidden", "true");
    log.appendChild(typing);
    scroll();
    send.disabled = true;
    fetch(API + "/api/v1/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, status: response.status, json: json }; });
    }).then(function (result) {
      if (!result.ok) throw new Error(result.status === 429 ? "busy" : "error");
      state.session = result.json.session_id;
      showNotice(result.json.notice || null);
      var ticket = result.json.ticket;
      if (ticket && ticket.to_staff) {
        remember({ sent: T.sent_to_staff });
      } else {
        remember({ bot: result.json });
      }
      state.ticket = ticket ? { id: ticket.id, state: ticket.state } : null;
      if (!ticket) state.after = 0;
      save();
      showHandoff();
      poll();
    }).catch(function (error) {
      remember({ bot: { kind: "error", text: error.message === "busy"
        ? T.busy
        : T.offline, choices: [], links: [] } });
    }).then(function () {
      typing.remove();
      send.disabled = false;
    });
  }

  function remember(item) {
    state.log.push(item);
    if (state.log.length > 60) state.log.splice(0, state.log.length - 60);
    save();
    render(item, true);
  }

  function render(item, announce) {
    if (item.me) {
      log.appendChild(el("div", "msg me", item.me));
      scroll();
      return;
    }
    if (item.staff || item.system || item.sent) {
      var note;
      if (item.staff) {
        note = el("div", "msg staff");
        note.appendChild(el("b", "", T.staff));
        note.appendChild(el("div", "", item.staff));
      } else {
        note = el("div", item.system ? "system" : "sent", item.system || item.sent);
      }
      log.appendChild(note);
      if (announce) live.textContent = item.staff || item.system || item.sent;
      scroll();
      return;
    }
    var reply = item.bot;
    var bubble = el("div", "msg bot");
    if (reply.notice) bubble.appendChild(el("div", "notice", T.disaster + reply.notice.text));
    bubble.appendChild(withRuby(el("div", ""), reply.text, reply.text_ruby));
    var actions = el("div", "actions");
    (reply.links || []).forEach(function (link) {
      if (!link.url || !/^https?:\/\//.test(link.url)) return;
      var a = el("a", "proc", link.title + "（" + link.kind + "）");
      a.href = link.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      actions.appendChild(a);
    });
    (reply.choices || []).forEach(function (choice, i) {
      var b = withRuby(el("button", ""), choice.label, reply.choices_ruby && reply.choices_ruby[i]);
      b.type = "button";
      b.addEventListener("click", function () { ask({ choice: choice.value }, choice.label); });
      actions.appendChild(b);
    });
    if (actions.childNodes.length) bubble.appendChild(actions);
    if (reply.contact) {
      var c = reply.contact;
      bubble.appendChild(el("div", "contact", T.contact + c.department + "　☎ " + c.phone + "（" + c.hours + "）" + (c.place ? "　" + c.place : "") + (c.notice ? "\n" + c.notice : "")));
    }
    if (reply.ask_feedback && reply.reply_id) bubble.appendChild(feedback(reply));
    log.appendChild(bubble);
    if (announce) live.textContent = reply.text;
    scroll();
  }

  // Text with readings over its kanji, when the server sent them: the
  // ruby is hidden from screen readers, which read the plain text once.
  function withRuby(node, text, segments) {
    if (!segments) { node.textContent = text; return node; }
    node.classList.add("ruby");
    var shown = el("span");
    shown.setAttribute("aria-hidden", "true");
    segments.forEach(function (segment) {
      if (!segment.reading) { shown.appendChild(document.createTextNode(segment.text)); return; }
      var ruby = document.createElement("ruby");
      ruby.appendChild(document.createTextNode(segment.text));
      ruby.appendChild(el("rt", "", segment.reading));
      shown.appendChild(ruby);
    });
    node.append(shown, el("span", "sr", text));
    return node;
  }

  function feedback(reply) {
    var box = el("div", "feedback");
    box.appendChild(el("span", "", T.helpful_prompt));
    if (reply.voted) { box.appendChild(el("span", "", T.thanks)); return box; }
    [[T.yes, true], [T.no, false]].forEach(function (pair) {
      var b = el("button", "", pair[0]);
      b.type = "button";
      b.addEventListener("click", function () {
        fetch(API + "/api/v1/feedback", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ reply_id: reply.reply_id, helpful: pair[1], session_id: state.session })
        }).then(function (response) {
          // After 「いいえ」 the server offers the other candidates, then the contact.
          if (response.status === 200) return response.json().then(function (next) { remember({ bot: next }); });
        }).catch(function () {});
        reply.voted = true;
        save();
        while (box.childNodes.length > 1) box.removeChild(box.lastChild);
        var thanks = el("span", "", T.thanks);
        box.appendChild(thanks);
        live.textContent = thanks.textContent;
      });
      box.appendChild(b);
    });
    return box;
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  loadTexts();
  if (state.open) setOpen(true, false);
})();
