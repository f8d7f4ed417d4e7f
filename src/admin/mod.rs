//! The staff pages under `/admin`: sign-in, the dashboard, unanswered
//! questions to review, feedback per answer, CSV exports and the content
//! reload. Everything but the sign-in form needs a session; every form
//! carries a CSRF token.

pub mod auth;
mod pages;

use std::sync::Arc;
use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{self, ContentType};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::Markup;
use serde::Deserialize;

use crate::authoring::follow::Follower;
use crate::authoring::workspace::Workspace;
use crate::channels::line::LineClient;
use crate::client::ClientAddress;
use crate::config::AdminSettings;
use crate::disaster::DisasterMode;
use crate::engine::SharedEngine;
use crate::faq::Date;
use crate::handoff::Handoff;
use crate::reload::Reloader;
use crate::store::log::{GroupStatus, groups_csv};
use crate::store::{Store, StoreError};
use auth::{LOGIN_COOKIE, OverLimit, SESSION_COOKIE, Session, Sessions, SignInLimits, Users, same};

/// The dashboard covers this many days.
const DASHBOARD_DAYS: i64 = 30;
/// The review page covers this many days.
const REVIEW_DAYS: i64 = 90;

/// What the admin pages share.
pub struct AdminState {
    users: Users,
    sessions: Sessions,
    sign_ins: SignInLimits,
    secure_cookie: bool,
    store: Arc<Store>,
    engine: Arc<SharedEngine>,
    reloader: Arc<Reloader>,
    /// The content directory staff change through drafts.
    workspace: Workspace,
    /// With replicas: brings the content directory to the newest revision
    /// before a publish builds on it.
    follower: Option<Arc<Follower>>,
    /// The LINE account, for its push quota and its menu; `None` without
    /// LINE.
    line: Option<LineAccount>,
    disaster: Arc<DisasterMode>,
    handoff: Arc<Handoff>,
    require_second_approver: bool,
    /// One publish at a time, so that none writes over another's files.
    publishing: tokio::sync::Mutex<()>,
}

/// What the staff pages work on.
pub struct AdminDeps {
    pub store: Arc<Store>,
    pub engine: Arc<SharedEngine>,
    pub reloader: Arc<Reloader>,
    /// The content directory staff change through drafts.
    pub workspace: Workspace,
    /// With replicas: follows the newest published revision.
    pub follower: Option<Arc<Follower>>,
    /// The LINE account; `None` without LINE.
    pub line: Option<LineAccount>,
    pub disaster: Arc<DisasterMode>,
    pub handoff: Arc<Handoff>,
}

impl AdminState {
    /// Fails if a user's password hash is malformed.
    pub fn new(settings: &AdminSettings, deps: AdminDeps) -> Result<AdminState, String> {
        let AdminDeps {
            store,
            engine,
            reloader,
            workspace,
            follower,
            line,
            disaster,
            handoff,
        } = deps;
        Ok(AdminState {
            users: Users::new(settings.users.clone())?,
            sessions: Sessions::new(
                store.clone(),
                Duration::from_secs(settings.session_hours * 3600),
            ),
            sign_ins: SignInLimits::new(
                store.clone(),
                settings.sign_ins_per_minute,
                settings.sign_ins_per_account_per_hour,
            ),
            secure_cookie: settings.secure_cookie,
            store,
            engine,
            reloader,
            workspace,
            follower,
            line,
            disaster,
            handoff,
            require_second_approver: settings.require_second_approver,
            publishing: tokio::sync::Mutex::new(()),
        })
    }
}

/// The LINE account as the dashboard sees it.
pub struct LineAccount {
    pub client: LineClient,
    /// Whether answers are pushed when their reply token expired.
    pub push_fallback: bool,
}

/// Registers the admin routes.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        inbox::configure(disaster::configure(content::configure(web::scope(
            "/admin",
        ))))
        .wrap(
            actix_web::middleware::DefaultHeaders::new()
                .add((
                    header::CONTENT_SECURITY_POLICY,
                    pages::CONTENT_SECURITY_POLICY.as_str(),
                ))
                .add((header::X_FRAME_OPTIONS, "DENY"))
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::REFERRER_POLICY, "same-origin")),
        )
        .route("", web::get().to(dashboard))
        .route("/", web::get().to(dashboard))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/unanswered", web::get().to(unanswered))
        .route("/unanswered", web::post().to(mark_group))
        .route("/feedback", web::get().to(feedback))
        .route("/export/log.csv", web::get().to(export_log))
        .route("/export/unanswered.csv", web::get().to(export_groups))
        .route("/reload", web::post().to(reload))
        .default_service(web::to(not_found)),
    );
}

fn html(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl AdminState {
    fn cookie<'a>(&self, name: &'a str, value: String, path: &'a str) -> Cookie<'a> {
        Cookie::build(name, value)
            .path(path)
            .http_only(true)
            .secure(self.secure_cookie)
            .same_site(SameSite::Strict)
            .finish()
    }

    /// The request's session; anonymous pages get a redirect to the sign-in
    /// form, anonymous actions 401.
    async fn require(&self, request: &HttpRequest) -> Result<(String, Session), Box<HttpResponse>> {
        let id = request
            .cookie(SESSION_COOKIE)
            .map(|c| c.value().to_string());
        let found = match id {
            Some(id) => self.sessions.get(&id).await.map(|session| (id, session)),
            None => None,
        };
        found.ok_or_else(|| {
            Box::new(if request.method() == Method::GET {
                see_other("/admin/login")
            } else {
                HttpResponse::Unauthorized()
                    .content_type(ContentType::plaintext())
                    .body("ログインしてください。")
            })
        })
    }
}

impl AdminState {
    /// The session of a form posted by a signed-in member of staff, whose
    /// CSRF token must be the session's.
    async fn require_form(
        &self,
        request: &HttpRequest,
        csrf: &str,
    ) -> Result<(String, Session), Box<HttpResponse>> {
        let (id, session) = self.require(request).await?;
        check_csrf(&session, csrf)?;
        Ok((id, session))
    }
}

/// Refuses a form whose CSRF token is not the session's.
fn check_csrf(session: &Session, token: &str) -> Result<(), Box<HttpResponse>> {
    if same(&session.csrf, token) {
        Ok(())
    } else {
        Err(Box::new(HttpResponse::Forbidden().content_type(ContentType::plaintext()).body(
            "フォームの有効期限が切れました。ページを読み込み直してから、もう一度お試しください。",
        )))
    }
}

/// The value, or returns the response that stands for the failure.
macro_rules! or_respond {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(response) => return *response,
        }
    };
}

mod content;
mod content_pages;
mod disaster;
mod inbox;

/// Runs a store call on the blocking pool; a failure becomes the error page.
async fn on_store<T: Send + 'static>(
    state: &AdminState,
    call: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Box<HttpResponse>> {
    let store = state.store.clone();
    match web::block(move || call(&store)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(Box::new(internal(err))),
        Err(err) => Err(Box::new(internal(err))),
    }
}

async fn login_form(state: web::Data<AdminState>, request: HttpRequest) -> HttpResponse {
    if state.require(&request).await.is_ok() {
        return see_other("/admin");
    }
    login_page(&state, StatusCode::OK, None)
}

fn login_page(state: &AdminState, status: StatusCode, message: Option<&str>) -> HttpResponse {
    let token = auth::random_token();
    let mut response = html(
        status,
        pages::login(&token, message, state.users.is_empty()),
    );
    let _ = response.add_cookie(&state.cookie(LOGIN_COOKIE, token, "/admin/login"));
    response
}

#[derive(Deserialize)]
struct LoginForm {
    user: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login(
    state: web::Data<AdminState>,
    request: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let address = ClientAddress::of(&request);
    match state.sign_ins.attempt(address, &form.user).await {
        Ok(None) => {}
        Ok(Some(OverLimit::Address)) => {
            tracing::warn!(%address, "admin sign-in attempts over the limit");
            return login_page(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                Some("ログインの試行が多すぎます。1分ほど待ってから、もう一度お試しください。"),
            );
        }
        Ok(Some(OverLimit::Account)) => {
            tracing::warn!(user = %form.user, "admin sign-in attempts for one account over the limit");
            return login_page(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                Some(
                    "このユーザーのログイン試行が多すぎます。しばらく待ってから、もう一度お試しください。",
                ),
            );
        }
        Err(err) => return internal(err),
    }
    let expected = request.cookie(LOGIN_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|token| same(&token, &form.csrf)) {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            Some("フォームの有効期限が切れました。もう一度ログインしてください。"),
        );
    }
    let users = state.clone();
    let (user, password) = (form.user.clone(), form.password.clone());
    let verified = web::block(move || users.users.verify(&user, &password))
        .await
        .unwrap_or(false);
    if !verified {
        tracing::warn!("admin sign-in failed");
        return login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            Some("ユーザー名かパスワードが違います。"),
        );
    }
    let id = match state.sessions.start(&form.user).await {
        Ok(id) => id,
        Err(err) => return internal(err),
    };
    tracing::info!(user = %form.user, "admin signed in");
    let mut response = see_other("/admin");
    let _ = response.add_cookie(&state.cookie(SESSION_COOKIE, id, "/admin"));
    let _ = response.add_removal_cookie(&state.cookie(LOGIN_COOKIE, String::new(), "/admin/login"));
    response
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    state: web::Data<AdminState>,
    request: HttpRequest,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (id, _) = or_respond!(state.require_form(&request, &form.csrf).await);
    if let Err(err) = state.sessions.end(&id).await {
        return internal(err);
    }
    let mut response = see_other("/admin/login");
    let _ = response.add_removal_cookie(&state.cookie(SESSION_COOKIE, String::new(), "/admin"));
    response
}

#[derive(Deserialize)]
struct FlashQuery {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

async fn dashboard(
    state: web::Data<AdminState>,
    request: HttpRequest,
    query: web::Query<FlashQuery>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let since = unix_now() - DASHBOARD_DAYS * 86_400;
    let summary = or_respond!(on_store(&state, move |store| store.summary(since)).await);
    let engine = state.engine.get();
    let top: Vec<(String, String, i64)> = summary
        .top_entries
        .iter()
        .map(|(id, count)| {
            let question = engine
                .content()
                .entry(id)
                .map(|e| e.question.clone())
                .unwrap_or_default();
            (id.clone(), question, *count)
        })
        .collect();
    let flash = match query.done.as_deref() {
        Some("reloaded") => Some("内容を読み込み直しました。"),
        Some("reload-failed") => Some("内容にエラーがあります。下のエラーを直してください。"),
        _ => None,
    };
    let mut overdue: Vec<pages::OverdueReviews> = Vec::new();
    for (entry, due) in engine.content().overdue_reviews(Date::today_in_japan()) {
        let name = engine
            .content()
            .department_of(entry)
            .map_or_else(|| "未割り当て".to_string(), |d| d.name.clone());
        let row = (entry.id.clone(), entry.question.clone(), due.to_string());
        match overdue.iter_mut().find(|d| d.name == name) {
            Some(department) => department.entries.push(row),
            None => overdue.push(pages::OverdueReviews {
                name,
                entries: vec![row],
            }),
        }
    }
    let handoffs = if state.handoff.enabled() {
        let since = (unix_now() - DASHBOARD_DAYS * 86_400) * 1000;
        Some(or_respond!(
            on_store(&state, move |store| store.handoff_summary(since)).await
        ))
    } else {
        None
    };
    let names = inbox::department_names(&state);
    let line = match &state.line {
        Some(account) => Some(pages::LinePushes {
            quota: account.client.push_quota().await,
            push_fallback: account.push_fallback,
        }),
        None => None,
    };
    html(
        StatusCode::OK,
        pages::dashboard(
            &session.csrf,
            &pages::Dashboard {
                summary: &summary,
                content: &state.reloader.status(),
                top: &top,
                overdue: &overdue,
                line: line.as_ref(),
                disaster: state.disaster.current().as_deref(),
                handoffs: handoffs.as_ref().map(|h| (h, &names)),
            },
            flash,
        ),
    )
}

fn internal(err: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %err, "admin page failed");
    HttpResponse::InternalServerError()
        .content_type(ContentType::plaintext())
        .body("エラーが発生しました。しばらくしてからもう一度お試しください。")
}

async fn unanswered(
    state: web::Data<AdminState>,
    request: HttpRequest,
    query: web::Query<FlashQuery>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let filter = query.status.clone().unwrap_or_else(|| "open".into());
    let wanted = GroupStatus::parse(&filter);
    let since = unix_now() - REVIEW_DAYS * 86_400;
    let groups = or_respond!(on_store(&state, move |store| store.review_groups(since)).await);
    let groups: Vec<_> = groups
        .into_iter()
        .filter(|g| wanted.is_none_or(|w| g.status == w))
        .collect();
    let engine = state.engine.get();
    let ids: Vec<String> = engine
        .content()
        .entries
        .iter()
        .map(|e| e.id.clone())
        .collect();
    let flash = query.done.as_deref().map(|_| "変更しました。");
    // Each group goes to the department of its best candidate; a member
    // of staff sees their departments' groups first.
    let mine = state
        .users
        .get(&session.user)
        .map(|u| u.departments.clone())
        .unwrap_or_default();
    // Entries staff answered such questions with in a handoff come first.
    let since_ms = (unix_now() - REVIEW_DAYS * 86_400) * 1000;
    let tickets = or_respond!(on_store(&state, move |store| store.tickets(since_ms)).await);
    let answered = inbox::answered_by_staff(&tickets);
    let mut groups: Vec<_> = groups
        .into_iter()
        .map(|group| {
            let mut suggested = content::suggestions(&engine, &group.examples);
            if let Some(entry) = answered
                .iter()
                .find(|(asked, _)| group.examples.iter().any(|e| asked.contains(e)))
                .and_then(|(_, id)| engine.live_entry(id))
            {
                suggested.retain(|(id, _)| *id != entry.id);
                suggested.insert(
                    0,
                    (
                        entry.id.clone(),
                        format!("{}（職員が相談で答えた回答）", entry.question),
                    ),
                );
            }
            let department = suggested
                .first()
                .and_then(|(id, _)| engine.content().entry(id))
                .and_then(|entry| entry.department.clone());
            (group, suggested, department)
        })
        .collect();
    groups.sort_by_key(|(_, _, department)| !department.as_ref().is_some_and(|d| mine.contains(d)));
    let names = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| engine.content().departments.get(id))
            .map_or_else(|| "未割り当て".to_string(), |d| d.name.clone())
    };
    let groups: Vec<_> = groups
        .into_iter()
        .map(|(group, suggested, department)| pages::GroupRow {
            group,
            suggested,
            department: names(&department),
        })
        .collect();
    html(
        StatusCode::OK,
        pages::unanswered(&session.csrf, &groups, &filter, &ids, flash),
    )
}

/// Every field defaults, so that an anonymous or forged post is refused
/// for what it is (401, 403) rather than for its shape.
#[derive(Deserialize, Default)]
#[serde(default)]
struct MarkForm {
    csrf: String,
    key: String,
    status: String,
    entry_id: String,
}

async fn mark_group(
    state: web::Data<AdminState>,
    request: HttpRequest,
    form: web::Form<MarkForm>,
) -> HttpResponse {
    or_respond!(state.require_form(&request, &form.csrf).await);
    let Some(status) = GroupStatus::parse(&form.status) else {
        return HttpResponse::BadRequest().body("status must be open, done or ignored");
    };
    let entry_id = Some(form.entry_id.trim()).filter(|id| !id.is_empty());
    if let Some(id) = entry_id
        && state.engine.get().content().entry(id).is_none()
    {
        return HttpResponse::BadRequest()
            .content_type(ContentType::plaintext())
            .body(format!(
                "回答ID「{id}」は見つかりません。faq/ のファイルにある id を入力してください。"
            ));
    }
    let (key, entry) = (form.key.clone(), entry_id.map(String::from));
    or_respond!(
        on_store(&state, move |store| store.mark_group(
            &key,
            status,
            entry.as_deref()
        ))
        .await
    );
    see_other("/admin/unanswered?done=1")
}

async fn feedback(state: web::Data<AdminState>, request: HttpRequest) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let rows = or_respond!(on_store(&state, |store| store.feedback_by_entry()).await);
    let engine = state.engine.get();
    let rows: Vec<_> = rows
        .into_iter()
        .map(|row| {
            let question = engine
                .content()
                .entry(&row.entry_id)
                .map(|e| e.question.clone())
                .unwrap_or_else(|| "（削除された回答）".into());
            (row, question)
        })
        .collect();
    html(StatusCode::OK, pages::feedback(&session.csrf, &rows))
}

fn csv(name: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

#[derive(Deserialize)]
struct SinceQuery {
    since: Option<String>,
}

async fn export_log(
    state: web::Data<AdminState>,
    request: HttpRequest,
    query: web::Query<SinceQuery>,
) -> HttpResponse {
    or_respond!(state.require(&request).await);
    let since = match query.since.as_deref().map(str::parse::<Date>) {
        None => 0,
        Some(Ok(date)) => date.start_in_japan(),
        Some(Err(message)) => return HttpResponse::BadRequest().body(message),
    };
    let body = or_respond!(
        on_store(&state, move |store| {
            let mut out = Vec::new();
            store.export_csv(since, &mut out).map(|_| out)
        })
        .await
    );
    csv("madoguchi-log.csv", body)
}

async fn export_groups(state: web::Data<AdminState>, request: HttpRequest) -> HttpResponse {
    or_respond!(state.require(&request).await);
    let since = unix_now() - REVIEW_DAYS * 86_400;
    let body = or_respond!(
        on_store(&state, move |store| {
            let groups = store.review_groups(since)?;
            let mut out = Vec::new();
            groups_csv(&groups, &mut out).map(|_| out)
        })
        .await
    );
    csv("madoguchi-unanswered.csv", body)
}

async fn reload(
    state: web::Data<AdminState>,
    request: HttpRequest,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    or_respond!(state.require_form(&request, &form.csrf).await);
    let reloader = state.reloader.clone();
    match web::block(move || reloader.reload()).await {
        Ok(status) if status.errors.is_empty() => see_other("/admin?done=reloaded"),
        Ok(_) => see_other("/admin?done=reload-failed"),
        Err(err) => internal(err),
    }
}

async fn not_found(state: web::Data<AdminState>, request: HttpRequest) -> HttpResponse {
    or_respond!(state.require(&request).await);
    HttpResponse::NotFound()
        .content_type(ContentType::plaintext())
        .body("ページが見つかりません。")
}
