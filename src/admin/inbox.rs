//! `/admin/inbox`: conversations handed to staff. Staff see their
//! department's tickets first, take one, reply (the resident sees it in the
//! widget or gets it pushed in LINE), keep notes, transfer it to another
//! department, and close it with the entry that answers it. The list and
//! the messages refresh themselves every two seconds.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::pages::layout;
use super::{AdminState, csv, html, internal, on_store, see_other};
use crate::store::handoff::{MessageKind, Ticket, TicketMessage, TicketState};
use crate::store::log::japan_time;
use crate::store::spreadsheet::SpreadsheetWriter;

/// Closed tickets stay listed this long.
const CLOSED_SHOWN_MS: i64 = 7 * 86_400_000;
/// The script that refreshes the live parts of the pages.
const LIVE_JS: &str = "
(function () {
  'use strict';
  var parts = document.querySelectorAll('[data-refresh]');
  function refresh() {
    parts.forEach(function (part) {
      fetch(part.getAttribute('data-refresh'), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) { if (text !== null && text !== part.innerHTML) part.innerHTML = text; })
        .catch(function () {});
    });
  }
  if (parts.length) setInterval(refresh, 2000);
})();
";

pub fn configure(scope: actix_web::Scope) -> actix_web::Scope {
    scope
        .route("/inbox", web::get().to(list))
        .route("/inbox/{id}", web::get().to(ticket_page))
        .route("/inbox/{id}", web::post().to(act))
        .route("/live.js", web::get().to(live_js))
        .route("/export/handoffs.csv", web::get().to(export))
}

async fn live_js() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "application/javascript; charset=utf-8",
        ))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(LIVE_JS)
}

#[derive(Deserialize)]
struct Part {
    /// Only the part that refreshes itself.
    #[serde(default)]
    part: Option<String>,
}

fn fragment(markup: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// Department ids → names.
pub(super) fn department_names(state: &AdminState) -> HashMap<String, String> {
    state
        .engine
        .get()
        .content()
        .departments
        .iter()
        .map(|(id, d)| (id.clone(), d.name.clone()))
        .collect()
}

fn state_label(state: TicketState) -> &'static str {
    match state {
        TicketState::Waiting => "対応待ち",
        TicketState::Open => "対応中",
        TicketState::Closed => "終了",
    }
}

fn channel_label(channel: &str) -> &'static str {
    if channel == "line" {
        "LINE"
    } else {
        "ウェブ"
    }
}

/// 「12分」 from milliseconds.
fn minutes(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    if minutes < 60 {
        format!("{minutes}分")
    } else {
        format!("{}時間{}分", minutes / 60, minutes % 60)
    }
}

async fn list(
    state: web::Data<AdminState>,
    request: HttpRequest,
    part: web::Query<Part>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let since = crate::store::shared::now_ms() - CLOSED_SHOWN_MS;
    let mut tickets = or_respond!(on_store(&state, move |store| store.tickets(since)).await);
    let mine = state.member(&session.user).departments;
    // Their department's first, waiting before open before closed, oldest
    // first.
    tickets.sort_by_key(|t| {
        (
            !(mine.is_empty() || mine.contains(&t.department)),
            match t.state {
                TicketState::Waiting => 0,
                TicketState::Open => 1,
                TicketState::Closed => 2,
            },
            t.id,
        )
    });
    let table = tickets_table(&tickets, &department_names(&state));
    if part.part.is_some() {
        return fragment(table);
    }
    html(
        StatusCode::OK,
        layout(
            "職員への相談",
            &session.csrf,
            html! {
                section {
                    h2 { "職員への相談" }
                    p { "住民が「職員に相談する」を選ぶと、ここに届きます。自分の課の相談が先に並びます。この一覧は自動で新しくなります。" }
                    div #live data-refresh="/admin/inbox?part=1" { (table) }
                    p { a href="/admin/export/handoffs.csv" { "CSVでダウンロード" } }
                }
                script src="/admin/live.js" {}
            },
        ),
    )
}

fn tickets_table(tickets: &[Ticket], names: &HashMap<String, String>) -> Markup {
    let now = crate::store::shared::now_ms();
    html! {
        @if tickets.is_empty() { p.ok { "相談はありません。" } }
        @else {
            div.scroll { table.tickets {
                thead { tr { th { "番号" } th { "状態" } th { "課" } th { "経路" } th { "経過" } th { "担当" } } }
                tbody {
                    @for ticket in tickets {
                        tr class=(format!("ticket-{}", ticket.state.as_str())) {
                            td { a href=(format!("/admin/inbox/{}", ticket.id)) { "#" (ticket.id) } }
                            td { (state_label(ticket.state)) @if ticket.left_message { "（閉庁時間のメッセージ）" } }
                            td { (names.get(&ticket.department).unwrap_or(&ticket.department)) }
                            td { (channel_label(&ticket.channel)) }
                            td { (minutes(ticket.closed_at.unwrap_or(now) - ticket.created_at)) }
                            td { (ticket.assignee.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            } }
        }
    }
}

fn messages_view(messages: &[TicketMessage], ticket: &Ticket) -> Markup {
    html! {
        p.status { "状態：" strong { (state_label(ticket.state)) } @if let Some(who) = &ticket.assignee { "（担当 " (who) "）" } }
        ol.messages {
            @for message in messages {
                li class=(format!("from-{}", match message.kind {
                    MessageKind::Resident => "resident",
                    MessageKind::Staff => "staff",
                    MessageKind::Note => "note",
                    MessageKind::System => "system",
                })) {
                    small { (japan_time(message.at / 1000)) " "
                        (match message.kind {
                            MessageKind::Resident => "住民".to_string(),
                            MessageKind::Staff => format!("職員 {}", message.author),
                            MessageKind::Note => format!("メモ {}（住民には見えません）", message.author),
                            MessageKind::System => "お知らせ".to_string(),
                        }) }
                    div { (message.text) }
                }
            }
        }
    }
}

async fn ticket_page(
    state: web::Data<AdminState>,
    request: HttpRequest,
    id: web::Path<i64>,
    part: web::Query<Part>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let id = id.into_inner();
    let found = or_respond!(
        on_store(&state, move |store| Ok(store
            .ticket(id)?
            .map(|t| (t, store.ticket_messages(id, 0)))))
        .await
    );
    let Some((ticket, messages)) = found else {
        return HttpResponse::NotFound()
            .content_type(ContentType::plaintext())
            .body("この相談は見つかりません。");
    };
    let messages = match messages {
        Ok(messages) => messages,
        Err(err) => return internal(err),
    };
    let live = messages_view(&messages, &ticket);
    if part.part.is_some() {
        return fragment(live);
    }
    let names = department_names(&state);
    let context: TicketContext = serde_json::from_str(&ticket.context).unwrap_or_default();
    let csrf = session.csrf.clone();
    let open = ticket.state != TicketState::Closed;
    let action = format!("/admin/inbox/{id}");
    html(
        StatusCode::OK,
        layout(
            &format!("相談 #{id}"),
            &csrf,
            html! {
                p { a href="/admin/inbox" { "← 相談の一覧" } }
                section {
                    h2 { "相談 #" (id) "（" (names.get(&ticket.department).unwrap_or(&ticket.department)) "・" (channel_label(&ticket.channel)) "）" }
                    p { "受付 " (japan_time(ticket.created_at / 1000)) @if ticket.left_message { "・閉庁時間に残されたメッセージ" } }
                    @if !context.turns.is_empty() {
                        details open {
                            summary { "ボットとのやりとり（相談の前）" }
                            table { tbody { @for (said, did) in &context.turns { tr { td { (said) } td { code { (did) } } } } } }
                            @if !context.candidates.is_empty() {
                                p { "ボットの候補: " @for id in &context.candidates { a href=(format!("/admin/content/entry/{id}")) { code { (id) } } " " } }
                            }
                        }
                    }
                    div #live data-refresh=(format!("/admin/inbox/{id}?part=1")) { (live) }
                }
                @if open {
                    section {
                        @if ticket.assignee.as_deref() != Some(session.user.as_str()) {
                            form method="post" action=(action) {
                                input type="hidden" name="csrf" value=(csrf);
                                button #take type="submit" name="action" value="take" { "この相談を担当する" }
                            }
                        }
                        form.entry method="post" action=(action) {
                            input type="hidden" name="csrf" value=(csrf);
                            label for="reply" { "住民への返信" }
                            textarea #reply name="text" rows="4" {}
                            p { button #send type="submit" name="action" value="reply" { "返信する" }
                                " "
                                button.secondary type="submit" name="action" value="note" { "メモとして残す（住民には見えません）" } }
                        }
                        form.entry method="post" action=(action) {
                            input type="hidden" name="csrf" value=(csrf);
                            label for="department" { "ほかの課に引き継ぐ" }
                            select #department name="department" {
                                @for (id, name) in &names { option value=(id) selected[*id == ticket.department] { (name) } }
                            }
                            p { button.secondary type="submit" name="action" value="transfer" { "引き継ぐ" } }
                        }
                        form.entry method="post" action=(action) {
                            input type="hidden" name="csrf" value=(csrf);
                            label for="entry" { "答えになる回答の ID（任意。答えられなかった質問の見直しに使います）" }
                            input #entry type="text" name="entry";
                            p { button #close type="submit" name="action" value="close" { "相談を終了して、ボットに戻す" } }
                        }
                    }
                }
                script src="/admin/live.js" {}
            },
        ),
    )
}

/// The entries staff named when closing tickets, with what the resident
/// had asked the bot before: for the review of unanswered questions.
pub(super) fn answered_by_staff(tickets: &[Ticket]) -> Vec<(Vec<String>, String)> {
    tickets
        .iter()
        .filter_map(|ticket| {
            let entry = ticket.answer_entry.clone()?;
            let context: TicketContext = serde_json::from_str(&ticket.context).ok()?;
            Some((
                context.turns.into_iter().map(|(said, _)| said).collect(),
                entry,
            ))
        })
        .collect()
}

/// The conversation before the handover, as the ticket keeps it.
#[derive(Default, Deserialize)]
struct TicketContext {
    /// The resident's messages (masked) and what the bot did.
    #[serde(default)]
    turns: Vec<(String, String)>,
    /// The entries the engine had for the last question, best first.
    #[serde(default)]
    candidates: Vec<String>,
}

#[derive(Deserialize)]
struct ActForm {
    #[serde(default)]
    csrf: String,
    action: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    entry: String,
}

async fn act(
    state: web::Data<AdminState>,
    request: HttpRequest,
    id: web::Path<i64>,
    form: web::Form<ActForm>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require_form(&request, &form.csrf).await);
    let (id, user) = (id.into_inner(), session.user.as_str());
    let handoff = &state.handoff;
    let back = format!("/admin/inbox/{id}");
    let outcome: Result<(), String> = match form.action.as_str() {
        "take" => handoff
            .take(id, user)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "reply" if !form.text.trim().is_empty() => {
            // Taking it by replying: the resident sees someone is there.
            let _ = handoff.take_if_waiting(id, user).await;
            handoff.reply(id, user, form.text.trim()).await
        }
        "note" if !form.text.trim().is_empty() => handoff
            .note(id, user, form.text.trim())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "transfer" if department_names(&state).contains_key(&form.department) => handoff
            .transfer(id, user, &form.department)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "close" => {
            let entry = form.entry.trim();
            let known = entry.is_empty() || state.engine.get().content().entry(entry).is_some();
            if known {
                handoff
                    .close(id, user, (!entry.is_empty()).then_some(entry))
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            } else {
                Err(format!("回答の ID「{entry}」はありません。"))
            }
        }
        _ => Err("入力が足りません。".into()),
    };
    match outcome {
        Ok(()) => {
            if form.action == "close" {
                see_other("/admin/inbox")
            } else {
                see_other(&back)
            }
        }
        Err(why) => HttpResponse::BadRequest()
            .content_type(ContentType::plaintext())
            .body(format!("{why}\n（{back} に戻ってください）")),
    }
}

async fn export(state: web::Data<AdminState>, request: HttpRequest) -> HttpResponse {
    or_respond!(state.require(&request).await);
    let tickets = or_respond!(on_store(&state, move |store| store.tickets(0)).await);
    let names = department_names(&state);
    let mut out = Vec::new();
    let written = (|| {
        let mut writer = SpreadsheetWriter::new(
            &mut out,
            &[
                "番号",
                "受付",
                "課",
                "経路",
                "状態",
                "担当",
                "最初の返信まで(秒)",
                "終了",
                "終了の理由",
                "答えの回答ID",
            ],
        )?;
        for t in &tickets {
            writer.row([
                t.id.to_string(),
                japan_time(t.created_at / 1000),
                names
                    .get(&t.department)
                    .cloned()
                    .unwrap_or_else(|| t.department.clone()),
                channel_label(&t.channel).to_string(),
                state_label(t.state).to_string(),
                t.assignee.clone().unwrap_or_default(),
                t.first_reply_at
                    .map(|at| ((at - t.created_at) / 1000).to_string())
                    .unwrap_or_default(),
                t.closed_at
                    .map(|at| japan_time(at / 1000))
                    .unwrap_or_default(),
                t.close_reason.clone().unwrap_or_default(),
                t.answer_entry.clone().unwrap_or_default(),
            ])?;
        }
        writer.finish()
    })();
    match written {
        Ok(()) => csv("handoffs.csv", out),
        Err(err) => internal(err),
    }
}
