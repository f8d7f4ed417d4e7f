//! `/admin/disaster`: staff switch disaster mode on with a notice (and a
//! link), or off; LINE's menu follows. Every switch is in the audit log.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::pages::layout;
use super::{AdminState, html, internal, see_other};
use crate::channels::line::rich_menu::switch_for_disaster_mode;
use crate::disaster::{MAX_NOTICE_CHARS, Switch, SwitchError};
use crate::store::disaster::DisasterNotice;
use crate::store::log::japan_time;

pub fn configure(scope: actix_web::Scope) -> actix_web::Scope {
    scope
        .route("/disaster", web::get().to(page))
        .route("/disaster", web::post().to(switch))
}

#[derive(Deserialize)]
struct Done {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    line: Option<String>,
}

#[derive(Deserialize)]
struct SwitchForm {
    #[serde(default)]
    csrf: String,
    /// `on` or `off`.
    action: String,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    link: String,
}

async fn page(
    state: web::Data<AdminState>,
    request: HttpRequest,
    done: web::Query<Done>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let flash = match (done.done.as_deref(), done.line.as_deref()) {
        (Some("on"), line) => Some(format!("災害モードにしました。{}", line_note(line))),
        (Some("off"), line) => Some(format!("災害モードを終了しました。{}", line_note(line))),
        _ => None,
    };
    let current = state.disaster.current();
    let may_switch = state.member(&session.user).role.approves();
    html(
        StatusCode::OK,
        markup(
            &session.csrf,
            current.as_deref(),
            flash.as_deref(),
            None,
            may_switch,
        ),
    )
}

/// What became of LINE's menu, for the flash.
fn line_note(line: Option<&str>) -> &'static str {
    match line {
        Some("switched") => "LINE のメニューも切り替えました。",
        Some("failed") => {
            "LINE のメニューは切り替えられませんでした（運用担当者に `madoguchi line rich-menu apply` の実行を依頼してください）。"
        }
        _ => "",
    }
}

async fn switch(
    state: web::Data<AdminState>,
    request: HttpRequest,
    form: web::Form<SwitchForm>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require_form(&request, &form.csrf).await);
    if !state.member(&session.user).role.approves() {
        let current = state.disaster.current();
        return html(
            StatusCode::FORBIDDEN,
            markup(
                &session.csrf,
                current.as_deref(),
                None,
                Some(MAY_NOT_SWITCH),
                false,
            ),
        );
    }
    let on = form.action == "on";
    let asked = on.then_some((form.notice.as_str(), Some(form.link.as_str())));
    let switch = match Switch::new(asked, &session.user) {
        Ok(switch) => switch,
        Err(err) => {
            let current = state.disaster.current();
            return html(
                StatusCode::BAD_REQUEST,
                markup(
                    &session.csrf,
                    current.as_deref(),
                    None,
                    Some(&err.to_string()),
                    true,
                ),
            );
        }
    };
    let disaster = state.disaster.clone();
    match web::block(move || disaster.switch(&switch)).await {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => return internal(SwitchError::from(err)),
        Err(err) => return internal(err),
    }
    let line = match &state.line {
        None => "none",
        Some(account) => {
            let engine = state.engine.get();
            match switch_for_disaster_mode(&account.client, engine.content(), on).await {
                Ok(Some(_)) => "switched",
                Ok(None) => "none",
                Err(_) => "failed",
            }
        }
    };
    let done = if on { "on" } else { "off" };
    see_other(&format!("/admin/disaster?done={done}&line={line}"))
}

/// Said to an editor: switching speaks to every resident at once.
const MAY_NOT_SWITCH: &str = "災害モードは承認者か管理者が切り替えます。";

fn markup(
    csrf: &str,
    current: Option<&DisasterNotice>,
    flash: Option<&str>,
    error: Option<&str>,
    may_switch: bool,
) -> Markup {
    layout(
        "災害モード",
        csrf,
        html! {
            @if let Some(flash) = flash { p.flash role="status" { (flash) } }
            @if let Some(error) = error { p.errors role="alert" { (error) } }
            section {
                h2 { "災害モード" }
                @match current {
                    Some(notice) => {
                        p.disaster-on {
                            "災害モード中です（" (japan_time(notice.since)) "から、" (notice.switched_by) "）。"
                            br;
                            "お知らせ：" (notice.notice)
                            @if let Some(link) = &notice.link { br; a href=(link) { (link) } }
                        }
                        p { "すべての回答（ウェブと LINE）の前にお知らせが付き、防災の回答が先に出ます。ウェブのチャットにはお知らせの帯が出て、LINE は災害用のメニューになります。" }
                    }
                    None => { p.ok { "通常モードです。" } }
                }
                @if !may_switch { p { (MAY_NOT_SWITCH) } }
                @else {
                form.disaster method="post" action="/admin/disaster" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="action" value="on";
                    label for="notice" { "お知らせ（" (MAX_NOTICE_CHARS) "字まで）" }
                    textarea #notice name="notice" rows="3" maxlength=(MAX_NOTICE_CHARS) required {
                        @if let Some(notice) = current { (notice.notice) }
                    }
                    label for="link" { "詳しい情報のページ（任意）" }
                    input #link type="text" name="link" placeholder="https://" value=(current.and_then(|n| n.link.as_deref()).unwrap_or(""));
                    p { button.danger type="submit" {
                        @if current.is_some() { "お知らせを更新する" } @else { "災害モードにする" }
                    } }
                }
                @if current.is_some() {
                    form.disaster-off method="post" action="/admin/disaster" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="action" value="off";
                        button.secondary type="submit" { "災害モードを終了する" }
                    }
                }
                }
            }
        },
    )
}
