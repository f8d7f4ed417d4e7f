//! The website channel: the chat API, the embeddable widget and a demo page.

mod reply;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

pub use reply::WebReply;

pub use super::ApiError;

use super::dialogue::{Asker, Dialogue, Reading, Turn};
use crate::client::{ClientAddress, RateLimiter, network_of};
use crate::config::WebSettings;
use crate::engine::ChoiceValue;
use crate::i18n::Lang;
use crate::store::pseudonym::Pseudonyms;

/// The widget script embedded in the binary.
const WIDGET_JS: &str = include_str!("assets/widget.js");
/// The demo city page embedding the widget.
const DEMO_PAGE: &str = include_str!("assets/index.html");
/// The API's OpenAPI document.
pub const OPENAPI: &str = include_str!("openapi.json");

/// What the web channel's handlers share.
pub struct WebState {
    pub dialogue: Arc<Dialogue>,
    pub pseudonyms: Arc<Pseudonyms>,
    pub settings: WebSettings,
    pub limiter: RateLimiter<std::net::IpAddr>,
}

/// Registers the channel's routes.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(demo_page))
        .route("/widget.js", web::get().to(widget))
        .route("/api/openapi.json", web::get().to(openapi))
        .route("/api/v1/chat", web::post().to(chat))
        .route("/api/v1/notice", web::get().to(notice))
        .route("/api/v1/handoff", web::get().to(handoff_news))
        .route("/api/v1/texts", web::get().to(texts))
        .route("/api/v1/feedback", web::post().to(feedback));
}

/// A chat request: either a question or a picked choice.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    pub session_id: Option<String>,
    pub text: Option<String>,
    pub choice: Option<ChoiceValue>,
    /// Readings for the kanji of replies (ふりがな); kept for the session
    /// once sent.
    #[serde(default)]
    pub furigana: Option<bool>,
    /// Answers in やさしい日本語 where staff wrote them (with ふりがな);
    /// kept for the session once sent.
    #[serde(default)]
    pub easy: Option<bool>,
    /// The language to answer in (BCP 47: ja, en, pt, zh, vi, tl); without
    /// it, the browser's Accept-Language; kept for the session.
    #[serde(default)]
    pub lang: Option<String>,
}

/// A feedback vote on one reply.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    pub reply_id: String,
    pub helpful: bool,
    /// With the session, 「いいえ」 is answered with the other candidates of
    /// the question, then the contact.
    pub session_id: Option<String>,
}

/// Session ids are chosen by clients: keep them short and plain.
fn valid_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_rate(state: &WebState, request: &HttpRequest) -> Result<(), ApiError> {
    if state.limiter.allow(&ClientAddress::of(request)) {
        Ok(())
    } else {
        state
            .dialogue
            .metrics
            .count("madoguchi_rate_limited_total", &[]);
        Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests; please wait a moment and try again",
        ))
    }
}

async fn chat(
    state: web::Data<WebState>,
    request: HttpRequest,
    body: web::Json<ChatRequest>,
) -> Result<HttpResponse, ApiError> {
    check_rate(&state, &request)?;
    let body = body.into_inner();
    let new_session = body.session_id.is_none();
    let session_id = match body.session_id {
        Some(id) if valid_session_id(&id) => id,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_session_id",
                "session_id must be 1–64 letters, digits, '-' or '_'",
            ));
        }
        None => uuid::Uuid::new_v4().simple().to_string(),
    };
    let turn = match (&body.text, &body.choice) {
        (Some(text), None) => {
            if text.chars().count() > state.settings.max_text_chars {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "text_too_long",
                    format!(
                        "text is longer than {} characters",
                        state.settings.max_text_chars
                    ),
                ));
            }
            // A fraction of a millisecond of CPU: answered on the worker.
            Turn::Typed(text)
        }
        (None, Some(choice)) => Turn::Picked(choice),
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "text_or_choice",
                "send either `text` or `choice`",
            ));
        }
    };
    let lang = match body.lang.as_deref() {
        Some(tag) => Some(Lang::parse(tag).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_lang",
                format!("lang `{tag}` is not one of ja, en, pt, zh, vi, tl"),
            )
        })?),
        None => None,
    };
    let reading = Reading {
        easy: body.easy,
        furigana: body.furigana,
        lang,
        // A conversation without a chosen language follows the browser's.
        lang_hint: request
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language),
    };
    let reply = take_turn(&state, &request, session_id, new_session, turn, reading).await?;
    Ok(HttpResponse::Ok().json(reply))
}

/// Takes a turn of the session's conversation (`new` when the session was
/// named for this request).
async fn take_turn(
    state: &WebState,
    request: &HttpRequest,
    session_id: String,
    new: bool,
    turn: Turn<'_>,
    reading: Reading,
) -> Result<WebReply, ApiError> {
    let asker = Asker {
        channel: "web",
        user: state.pseudonyms.of("web", &session_id),
        client: Some(network_of(ClientAddress::of(request))),
        new,
        reading,
        ..Asker::default()
    };
    let taken = state.dialogue.take(&asker, turn).await;
    let reply = match (taken, turn) {
        (Some(reply), _) => reply,
        (None, Turn::Picked(choice)) => return Err(unknown_choice(choice)),
        (None, _) => return Err(ApiError::internal("no reply")),
    };
    let furigana = reply.furigana;
    let reply = WebReply::new(reply, session_id);
    Ok(if furigana {
        reply.with_furigana(state.dialogue.engine.get().index().analyzer())
    } else {
        reply
    })
}

fn unknown_choice(choice: &ChoiceValue) -> ApiError {
    let id = choice.id();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_choice",
        format!(
            "no entry or category `{id}` is offered now (it may have been removed or be outside its dates); send the text instead"
        ),
    )
}

async fn feedback(
    state: web::Data<WebState>,
    request: HttpRequest,
    body: web::Json<FeedbackRequest>,
) -> Result<HttpResponse, ApiError> {
    check_rate(&state, &request)?;
    let FeedbackRequest {
        reply_id,
        helpful,
        session_id,
    } = body.into_inner();
    let found = state
        .dialogue
        .vote(&reply_id, helpful)
        .await
        .map_err(ApiError::internal)?;
    if !found {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_reply",
            format!("no reply `{reply_id}`"),
        ));
    }
    match session_id.filter(|id| valid_session_id(id) && !helpful) {
        Some(session_id) => {
            let follow_up = take_turn(
                &state,
                &request,
                session_id,
                false,
                Turn::Unhelpful,
                Reading::default(),
            )
            .await?;
            Ok(HttpResponse::Ok().json(follow_up))
        }
        None => Ok(HttpResponse::NoContent().finish()),
    }
}

/// What the widget asks while staff have its conversation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewsQuery {
    pub session_id: String,
    /// The last message the widget has (0: none).
    #[serde(default)]
    pub after: i64,
    /// Answer at once rather than waiting for news.
    #[serde(default)]
    pub now: bool,
}

/// How long a request for staff's replies waits for one.
const NEWS_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Staff's replies to the session's ticket after `after`, and its state;
/// waits up to 20 s for one (long polling, which every proxy passes).
async fn handoff_news(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<NewsQuery>,
) -> Result<HttpResponse, ApiError> {
    check_rate(&state, &request)?;
    if !valid_session_id(&query.session_id) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_session_id",
            "session_id must be 1–64 letters, digits, '-' or '_'",
        ));
    }
    let resident = state.pseudonyms.of("web", &query.session_id);
    let wait = if query.now {
        std::time::Duration::ZERO
    } else {
        NEWS_WAIT
    };
    let news = state
        .dialogue
        .handoff
        .news(&resident, query.after, wait)
        .await
        .map_err(ApiError::internal)?;
    let body = match news {
        None => serde_json::json!({ "ticket": null, "messages": [] }),
        Some((ticket, messages)) => serde_json::json!({
            "ticket": { "id": ticket.id, "state": ticket.state },
            "messages": messages
                .iter()
                .map(|m| serde_json::json!({ "id": m.id, "kind": m.kind, "text": m.text, "at": m.at }))
                .collect::<Vec<_>>(),
        }),
    };
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextsQuery {
    #[serde(default)]
    pub lang: Option<String>,
}

/// The widget's own words in `lang`, else in the browser's language, else
/// in Japanese.
async fn texts(request: HttpRequest, query: web::Query<TextsQuery>) -> HttpResponse {
    let lang = query
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .or_else(|| {
            request
                .headers()
                .get(actix_web::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::Ja);
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .insert_header((actix_web::http::header::VARY, "Accept-Language"))
        .json(serde_json::json!({ "lang": lang, "texts": lang.widget_texts() }))
}

/// Disaster mode's notice, for the widget's banner: `{"notice": null}`
/// while the mode is off. Not cached: a switch shows within seconds.
async fn notice(state: web::Data<WebState>) -> HttpResponse {
    let notice = state.dialogue.disaster.current();
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "notice": notice.as_deref().map(reply::Notice::from) }))
}

async fn widget() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/javascript; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .body(WIDGET_JS)
}

async fn demo_page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(DEMO_PAGE)
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json"))
        .body(OPENAPI)
}

/// Turns malformed or oversize JSON bodies into API errors.
pub fn json_config(max_body_bytes: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(max_body_bytes)
        .error_handler(|err, _request| {
            use actix_web::error::JsonPayloadError;
            let (status, code) = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => {
                    (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
                }
                JsonPayloadError::ContentType => {
                    (StatusCode::UNSUPPORTED_MEDIA_TYPE, "content_type")
                }
                _ => (StatusCode::BAD_REQUEST, "invalid_json"),
            };
            ApiError::new(status, code, err.to_string()).into()
        })
}
