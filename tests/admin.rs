//! The staff pages, black-box: sign-in and its protections, the review of
//! unanswered questions, CSV exports, and content reloads that keep the old
//! content serving when a file is broken.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::FaqCopy;
use madoguchi::admin::auth::hash_password;
use madoguchi::config::{AdminUser, Role};
use madoguchi::server::Application;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

const USER: &str = "kaizu-staff";
const PASSWORD: &str = "窓口-2026-correct";

struct Admin {
    address: SocketAddr,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
    faq: std::sync::Arc<FaqCopy>,
    _data: std::sync::Arc<tempfile::TempDir>,
}

/// Staff besides USER (an admin), all with PASSWORD.
const EDITOR: &str = "editor-shimin";
const APPROVER: &str = "approver-kikaku";

struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

impl Admin {
    async fn start(watch_interval_ms: u64) -> Admin {
        let faq = FaqCopy::new();
        let data = tempfile::tempdir().unwrap();
        let mut settings = common::settings(data.path());
        settings.faq_dir = faq.path().to_path_buf();
        settings.admin.users = common::staff(
            &[
                (USER, Role::Admin),
                (EDITOR, Role::Editor),
                (APPROVER, Role::Approver),
            ],
            PASSWORD,
        );
        settings.admin.require_second_approver = true;
        settings.admin.watch_interval_ms = watch_interval_ms;
        let app = Application::build(settings).expect("server starts");
        let address = app.address();
        tokio::spawn(app.run_until_stopped());
        Admin {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            faq: std::sync::Arc::new(faq),
            _data: std::sync::Arc::new(data),
        }
    }

    /// Another browser on the same server, signed in as nobody yet.
    fn colleague(&self) -> Admin {
        Admin {
            address: self.address,
            client: self.client.clone(),
            cookies: HashMap::new(),
            faq: self.faq.clone(),
            _data: self._data.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn page(&mut self, request: reqwest::RequestBuilder) -> Page {
        let response = request
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        for cookie in &set_cookies {
            let (pair, _) = cookie.split_once(';').unwrap_or((cookie, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.into(), value.into());
            }
        }
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            location: response
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_string()),
            set_cookies,
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(self.url(path));
        self.page(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.page(request).await
    }

    /// The CSRF token in a page's forms.
    fn csrf(page: &Page) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = page.body.find(marker).expect("a form with a CSRF token") + marker.len();
        page.body[start..start + 40].to_string()
    }

    async fn sign_in(&mut self) -> String {
        self.sign_in_as(USER).await
    }

    async fn sign_in_as(&mut self, user: &str) -> String {
        let form = self.get("/admin/login").await;
        let csrf = Admin::csrf(&form);
        let signed_in = self
            .post(
                "/admin/login",
                &[("user", user), ("password", PASSWORD), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.body
        );
        let dashboard = self.get("/admin").await;
        assert_eq!(dashboard.status, StatusCode::OK);
        Admin::csrf(&dashboard)
    }

    async fn chat(&self, text: &str) -> Value {
        common::post_json(
            &self.client,
            &self.url("/api/v1/chat"),
            &json!({ "text": text }),
        )
        .await
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_and_actions_refused() {
    let mut admin = Admin::start(0).await;
    for path in [
        "/admin",
        "/admin/unanswered",
        "/admin/feedback",
        "/admin/export/log.csv",
        "/admin/export/unanswered.csv",
        "/admin/anything",
    ] {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location.as_deref(), Some("/admin/login"), "{path}");
    }
    for path in ["/admin/reload", "/admin/unanswered", "/admin/logout"] {
        let page = admin.post(path, &[("csrf", "x")]).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // A forged session cookie is no session.
    admin
        .cookies
        .insert("madoguchi_admin".into(), "0".repeat(40));
    assert_eq!(admin.get("/admin").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_needs_the_password_and_the_form_token() {
    let mut admin = Admin::start(0).await;
    let form = admin.get("/admin/login").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("ログイン"));
    let csrf = Admin::csrf(&form);

    let wrong = admin
        .post(
            "/admin/login",
            &[
                ("user", USER),
                ("password", "wrong-password"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("ユーザー名かパスワードが違います"));

    let csrf = Admin::csrf(&wrong);
    let forged = admin
        .post(
            "/admin/login",
            &[("user", USER), ("password", PASSWORD), ("csrf", "forged")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let _ = csrf;

    let form = admin.get("/admin/login").await;
    let csrf = Admin::csrf(&form);
    let signed_in = admin
        .post(
            "/admin/login",
            &[("user", USER), ("password", PASSWORD), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let session_cookie = signed_in
        .set_cookies
        .iter()
        .find(|c| c.starts_with("madoguchi_admin="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/admin"] {
        assert!(session_cookie.contains(attribute), "{session_cookie}");
    }

    let dashboard = admin.get("/admin").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    let token = Admin::csrf(&dashboard);
    // A form without its token is refused.
    let missing = admin.post("/admin/reload", &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = admin.post("/admin/reload", &[("csrf", "0000")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);

    let out = admin.post("/admin/logout", &[("csrf", &token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.get("/admin").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn unanswered_questions_are_grouped_marked_and_exported() {
    let mut admin = Admin::start(0).await;
    for text in [
        "宇宙旅行の申し込み",
        "宇宙旅行に行きたい",
        "宇宙旅行の申し込み",
        "競馬場の場所を教えて",
        "住民票をコンビニで取りたい",
        "電話は090-1234-5678です、宇宙旅行の件",
        "=HYPERLINK(\"http://example.com\",\"宇宙旅行\")",
    ] {
        admin.chat(text).await;
    }
    let csrf = admin.sign_in().await;
    let page = admin.get("/admin/unanswered").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("宇宙旅行の申し込み"), "{}", page.body);
    assert!(page.body.contains("競馬場"), "{}", page.body);
    assert!(!page.body.contains("090-1234-5678"), "masked in the log");
    assert!(page.body.contains("［電話番号］"), "{}", page.body);
    assert!(
        !page.body.contains("住民票をコンビニ"),
        "answered ones are not listed"
    );
    let key_marker = "data-key=\"";
    let start = page.body.find(key_marker).unwrap() + key_marker.len();
    let key = page.body[start..].split('"').next().unwrap().to_string();
    assert!(key.contains("宇宙"), "the largest group first: {key}");

    let unknown = admin
        .post(
            "/admin/unanswered",
            &[
                ("csrf", &csrf),
                ("key", &key),
                ("status", "done"),
                ("entry_id", "no-such-id"),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.body.contains("no-such-id"));
    let marked = admin
        .post(
            "/admin/unanswered",
            &[
                ("csrf", &csrf),
                ("key", &key),
                ("status", "done"),
                ("entry_id", "gomi-bunbetsu"),
            ],
        )
        .await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER);
    let open = admin.get("/admin/unanswered").await;
    assert!(!open.body.contains(&format!("data-key=\"{key}\"")));
    let done = admin.get("/admin/unanswered?status=done").await;
    assert!(done.body.contains(&format!("data-key=\"{key}\"")));
    assert!(done.body.contains("gomi-bunbetsu"));

    let log = admin.get("/admin/export/log.csv?since=2020-01-01").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.starts_with('\u{feff}'));
    assert_eq!(log.body.lines().count(), 8, "{}", log.body);
    assert!(log.body.contains("競馬場の場所を教えて"));
    let groups = admin.get("/admin/export/unanswered.csv").await;
    assert!(groups.body.starts_with('\u{feff}'));
    // Read as Excel reads the cells: none may start a formula.
    for export in [&log.body, &groups.body] {
        let cells = cells_of(export);
        let formulas: Vec<&String> = cells
            .iter()
            .filter(|c| c.starts_with(['=', '+', '-', '@', '\t', '\r']))
            .collect();
        assert!(formulas.is_empty(), "{formulas:?}");
    }
    assert!(
        cells_of(&log.body)
            .contains(&"'=HYPERLINK(\"http://example.com\",\"宇宙旅行\")".to_string()),
        "kept as text: {}",
        log.body
    );
    assert!(
        groups.body.contains(",done,gomi-bunbetsu"),
        "{}",
        groups.body
    );

    let dashboard = admin.get("/admin").await;
    assert!(
        dashboard.body.contains("<b>7</b>"),
        "seven queries: {}",
        dashboard.body
    );
    assert!(dashboard.body.contains("<svg"), "the chart");
}

#[tokio::test]
async fn a_broken_file_keeps_the_old_content_and_a_fix_is_served() {
    let mut admin = Admin::start(0).await;
    let csrf = admin.sign_in().await;
    let before = admin.chat("ごみの分別がわからない").await;
    assert_eq!(before["entry_id"], "gomi-bunbetsu");

    admin.faq.edit(
        "kurashi.yaml",
        "    question: ごみの分け方と出し方",
        "    questoin: ごみの分け方と出し方",
    );
    let line = admin.faq.line_of("kurashi.yaml", "questoin");
    let reload = admin.post("/admin/reload", &[("csrf", &csrf)]).await;
    assert_eq!(
        reload.location.as_deref(),
        Some("/admin?done=reload-failed")
    );
    let dashboard = admin.get("/admin").await;
    assert!(
        dashboard.body.contains("前の版のまま回答しています"),
        "{}",
        dashboard.body
    );
    assert!(
        dashboard.body.contains(&format!("kurashi.yaml:{line}:")),
        "the error names file and line: {}",
        dashboard.body
    );
    assert!(dashboard.body.contains("questoin"));
    let during = admin.chat("ごみの分別がわからない").await;
    assert_eq!(during["entry_id"], "gomi-bunbetsu", "still answered");

    admin.faq.edit(
        "kurashi.yaml",
        "    questoin: ごみの分け方と出し方",
        "    question: ごみの分け方と出し方",
    );
    admin.faq.edit(
        "kurashi.yaml",
        "entries:\n",
        "entries:\n  - id: uchu-ryoko\n    question: 宇宙旅行の申し込み\n    answer: 海津市では宇宙旅行の申し込みは受け付けていません。\n\n",
    );
    let reload = admin.post("/admin/reload", &[("csrf", &csrf)]).await;
    assert_eq!(reload.location.as_deref(), Some("/admin?done=reloaded"));
    let after = admin.chat("宇宙旅行の申し込み").await;
    assert_eq!(after["entry_id"], "uchu-ryoko", "{after}");
    let dashboard = admin.get("/admin").await;
    assert!(dashboard.body.contains("最新の内容で回答しています"));
    let metrics = admin.get("/metrics").await;
    assert!(
        metrics
            .body
            .contains("madoguchi_content_reloads_total{result=\"error\"} 1")
    );
    assert!(
        metrics
            .body
            .contains("madoguchi_content_reloads_total{result=\"ok\"} 1")
    );
}

#[tokio::test]
async fn edits_are_picked_up_without_a_restart() {
    let admin = Admin::start(100).await;
    let before = admin.chat("宇宙旅行の申し込み").await;
    assert_eq!(before["kind"], "fallback");
    admin.faq.edit(
        "kurashi.yaml",
        "entries:\n",
        "entries:\n  - id: uchu-ryoko\n    question: 宇宙旅行の申し込み\n    answer: 海津市では宇宙旅行の申し込みは受け付けていません。\n\n",
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = admin.chat("宇宙旅行の申し込み").await;
        if reply["entry_id"] == "uchu-ryoko" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the edit was not picked up: {reply}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn repeated_sign_in_attempts_are_slowed_down() {
    let mut admin = Admin::start(0).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let form = admin.get("/admin/login").await;
        let csrf = Admin::csrf(&form);
        let attempt = admin
            .post(
                "/admin/login",
                &[("user", USER), ("password", "guess"), ("csrf", &csrf)],
            )
            .await;
        statuses.push(attempt.status);
    }
    assert_eq!(&statuses[..5], [StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
    // Even the right password waits.
    let form = admin.get("/admin/login").await;
    let csrf = Admin::csrf(&form);
    let right = admin
        .post(
            "/admin/login",
            &[("user", USER), ("password", PASSWORD), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(right.body.contains("待ってから"));
}

/// Every cell of a CSV export, as a spreadsheet reads them.
fn cells_of(csv_text: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .flat_map(|record| record.unwrap().iter().map(String::from).collect::<Vec<_>>())
        .collect()
}

#[tokio::test]
async fn the_dashboard_tells_the_content_served_from_the_start_and_pages_forbid_framing() {
    let mut admin = Admin::start(0).await;
    admin.sign_in().await;
    let dashboard = admin.get("/admin").await;
    let entries = common::demo_engine().content().entries.len();
    assert!(
        dashboard.body.contains(&format!("・{entries} 件")),
        "{}",
        dashboard.body
    );
    assert!(!dashboard.body.contains("・0 件"));
    let policy = dashboard.headers["content-security-policy"]
        .to_str()
        .unwrap();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "style-src 'sha256-",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert_eq!(dashboard.headers["x-frame-options"], "DENY");
    let login = admin.get("/admin/login").await;
    assert!(login.headers.contains_key("content-security-policy"));
}

/// The draft id a redirect names (`/admin/drafts/7`).
fn draft_of(page: &Page) -> String {
    let location = page.location.as_deref().unwrap_or_default();
    location
        .strip_prefix("/admin/drafts/")
        .unwrap_or_else(|| panic!("not a draft: {location} {}", page.body))
        .to_string()
}

#[tokio::test]
async fn staff_turn_an_unanswered_question_into_a_phrasing_approve_publish_and_restore() {
    let mut editor = Admin::start(0).await;
    let original = std::fs::read_to_string(editor.faq.path().join("certificates.yaml")).unwrap();
    for _ in 0..2 {
        assert_eq!(editor.chat("宇宙旅行の申し込み").await["kind"], "fallback");
    }
    let csrf = editor.sign_in_as(EDITOR).await;
    let page = editor.get("/admin/unanswered").await;
    assert!(
        page.body.contains("既存の回答に言い方を追加"),
        "{}",
        page.body
    );
    let key_marker = "data-key=\"";
    let start = page.body.find(key_marker).unwrap() + key_marker.len();
    let key = page.body[start..].split('"').next().unwrap().to_string();
    let made = editor
        .post(
            "/admin/unanswered/phrasing",
            &[("csrf", &csrf), ("key", &key), ("entry_id", "conveni-what")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let draft = draft_of(&made);

    // The replay shows the question moving to that answer; the editor
    // cannot publish, and nothing reached residents yet.
    let shown = editor.get(&format!("/admin/drafts/{draft}")).await;
    assert!(shown.body.contains("宇宙旅行の申し込み"), "{}", shown.body);
    assert!(shown.body.contains("<td>答えなし</td>"), "{}", shown.body);
    assert!(
        shown
            .body
            .contains("<td>回答：<code>conveni-what</code></td>"),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains("公開は承認者が行います"),
        "{}",
        shown.body
    );
    let refused = editor
        .post(
            &format!("/admin/drafts/{draft}/publish"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        std::fs::read_to_string(editor.faq.path().join("certificates.yaml")).unwrap(),
        original
    );
    assert_eq!(editor.chat("宇宙旅行の申し込み").await["kind"], "fallback");

    // An approver publishes: one added line in the file, the answer served,
    // the group done.
    let mut approver = editor.colleague();
    let csrf = approver.sign_in_as(APPROVER).await;
    let ready = approver.get(&format!("/admin/drafts/{draft}")).await;
    assert!(ready.body.contains("id=\"publish\""), "{}", ready.body);
    let published = approver
        .post(
            &format!("/admin/drafts/{draft}/publish"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let now = std::fs::read_to_string(approver.faq.path().join("certificates.yaml")).unwrap();
    let added: Vec<&str> = now
        .lines()
        .filter(|l| !original.lines().any(|o| o == *l))
        .collect();
    assert_eq!(added, ["      - 宇宙旅行の申し込み"]);
    assert_eq!(now.lines().count(), original.lines().count() + 1);
    let answered = approver.chat("宇宙旅行の申し込み").await;
    assert_eq!(answered["entry_id"], "conveni-what", "{answered}");
    let done = approver.get("/admin/unanswered?status=done").await;
    assert!(done.body.contains(&format!("data-key=\"{key}\"")));
    let history = approver.get("/admin/revisions").await;
    assert!(history.body.contains(APPROVER) && history.body.contains(EDITOR));

    // Restored through a draft of its own: the file is as it was, and so
    // is the answer.
    let restoring = approver
        .post(
            "/admin/revisions/1/restore",
            &[("csrf", &csrf), ("to", "before")],
        )
        .await;
    let restore_draft = draft_of(&restoring);
    let replayed = approver
        .get(&format!("/admin/drafts/{restore_draft}"))
        .await;
    assert!(
        replayed
            .body
            .contains("<td>回答：<code>conveni-what</code></td>"),
        "{}",
        replayed.body
    );
    let back = approver
        .post(
            &format!("/admin/drafts/{restore_draft}/publish"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(
        std::fs::read_to_string(approver.faq.path().join("certificates.yaml")).unwrap(),
        original
    );
    assert_eq!(
        approver.chat("宇宙旅行の申し込み").await["kind"],
        "fallback"
    );

    // The audit log, for admins only.
    assert_eq!(
        approver.get("/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let mut admin = approver.colleague();
    admin.sign_in().await;
    let audit = admin.get("/admin/export/audit.csv").await;
    for action in ["draft.phrasing", "publish", "draft.restore"] {
        assert!(audit.body.contains(action), "{}", audit.body);
    }
}

#[tokio::test]
async fn an_entry_edited_in_the_form_is_a_draft_that_approval_publishes() {
    let mut approver = Admin::start(0).await;
    let csrf = approver.sign_in_as(APPROVER).await;
    let form = approver.get("/admin/content/entry/conveni-fee").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("コンビニ交付の手数料はいくらですか"));
    let original = std::fs::read_to_string(approver.faq.path().join("certificates.yaml")).unwrap();
    let answer = "コンビニ交付は1通200円です（戸籍は350円）。";
    let fields = [
        ("csrf", csrf.as_str()),
        ("original_id", "conveni-fee"),
        ("id", "conveni-fee"),
        ("file", "certificates.yaml"),
        ("question", "コンビニ交付の手数料はいくらですか"),
        ("phrasings", "コンビニで住民票を取るといくらかかる"),
        ("keywords", "手数料、料金、値段、200円"),
        ("answer", answer),
        ("department", "shimin"),
        ("procedures", "conveni"),
        ("related", ""),
        ("valid_from", ""),
        ("valid_until", ""),
    ];
    let saved = approver.post("/admin/content/entry", &fields).await;
    let draft = draft_of(&saved);
    let page = approver.get(&format!("/admin/drafts/{draft}")).await;
    assert!(
        page.body.contains("+      コンビニ交付は1通200円です"),
        "{}",
        page.body
    );
    // Its own author may not publish it when a second approver is required.
    assert!(page.body.contains("二重チェック"), "{}", page.body);
    let mut admin = approver.colleague();
    let admin_csrf = admin.sign_in().await;
    let published = admin
        .post(
            &format!("/admin/drafts/{draft}/publish"),
            &[("csrf", &admin_csrf)],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let now = std::fs::read_to_string(approver.faq.path().join("certificates.yaml")).unwrap();
    let (old, new): (Vec<&str>, Vec<&str>) = (
        original
            .lines()
            .filter(|l| !now.lines().any(|n| n == *l))
            .collect(),
        now.lines()
            .filter(|l| !original.lines().any(|o| o == *l))
            .collect(),
    );
    assert_eq!(new, ["      コンビニ交付は1通200円です（戸籍は350円）。"]);
    assert_eq!(old.len(), 1, "only the answer's line: {old:?}");

    // A broken answer is refused next to its field, nothing saved.
    let mut empty = fields;
    empty[7] = ("answer", "  ");
    let refused = approver.post("/admin/content/entry", &empty).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("回答を書いてください"));
    // What `madoguchi check` finds goes next to its field, and no draft is
    // made.
    let drafts_before = approver
        .get("/admin/drafts")
        .await
        .body
        .matches("/admin/drafts/")
        .count();
    let mut unknown = fields;
    unknown[10] = ("related", "no-such-entry");
    let refused = approver.post("/admin/content/entry", &unknown).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let note = refused
        .body
        .find("class=\"field-error\"")
        .expect("a note by a field");
    assert!(
        refused.body[note..].contains("no-such-entry"),
        "{}",
        refused.body
    );
    let related_field = refused.body.find("id=\"related\"").unwrap();
    assert!(note > related_field, "the note follows the related field");
    assert_eq!(
        approver
            .get("/admin/drafts")
            .await
            .body
            .matches("/admin/drafts/")
            .count(),
        drafts_before
    );
}

#[tokio::test]
async fn the_dashboard_lists_entries_overdue_for_review_by_department() {
    let mut admin = Admin::start(0).await;
    admin.faq.edit(
        "certificates.yaml",
        "    procedures: [conveni]\n",
        "    procedures: [conveni]\n    reviewed: 2020-01-15\n",
    );
    let csrf = admin.sign_in().await;
    admin.post("/admin/reload", &[("csrf", &csrf)]).await;
    let dashboard = admin.get("/admin").await;
    assert!(
        dashboard.body.contains("見直しの時期を過ぎた回答"),
        "{}",
        dashboard.body
    );
    assert!(
        dashboard.body.contains("<h3>市民課（1 件）</h3>"),
        "{}",
        dashboard.body
    );
    assert!(dashboard.body.contains("/admin/content/entry/conveni-what"));
}

#[tokio::test]
async fn a_draft_published_over_cannot_undo_the_other_change() {
    let mut approver = Admin::start(0).await;
    let csrf = approver.sign_in_as(APPROVER).await;
    let file_form = approver
        .get("/admin/content/file?path=certificates.yaml")
        .await;
    assert_eq!(file_form.status, StatusCode::OK);
    let original = std::fs::read_to_string(approver.faq.path().join("certificates.yaml")).unwrap();
    // Two drafts of the same file, from the same published text.
    let first = original.replacen(
        "コンビニで取れる証明書は何ですか",
        "コンビニで取れる証明書は何ですか？",
        1,
    );
    let second = original.replacen(
        "コンビニ交付は何時から何時まで使えますか",
        "コンビニ交付の利用時間は？",
        1,
    );
    let mut drafts = Vec::new();
    for text in [&first, &second] {
        let saved = approver
            .post(
                "/admin/content/file",
                &[
                    ("csrf", &csrf),
                    ("path", "certificates.yaml"),
                    ("text", text),
                ],
            )
            .await;
        drafts.push(draft_of(&saved));
    }
    let mut admin = approver.colleague();
    let admin_csrf = admin.sign_in().await;
    let published = admin
        .post(
            &format!("/admin/drafts/{}/publish", drafts[0]),
            &[("csrf", &admin_csrf)],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let stale = admin.get(&format!("/admin/drafts/{}", drafts[1])).await;
    assert!(
        stale.body.contains("別の公開でこのファイルが変わりました"),
        "{}",
        stale.body
    );
    let refused = admin
        .post(
            &format!("/admin/drafts/{}/publish", drafts[1]),
            &[("csrf", &admin_csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        std::fs::read_to_string(admin.faq.path().join("certificates.yaml")).unwrap(),
        first,
        "the first change stays"
    );
}

#[tokio::test]
async fn an_editor_bound_to_a_department_changes_only_its_entries() {
    let faq = FaqCopy::new();
    let data = tempfile::tempdir().unwrap();
    let mut settings = common::settings(data.path());
    settings.faq_dir = faq.path().to_path_buf();
    settings.admin.users = vec![AdminUser {
        name: EDITOR.into(),
        password_hash: hash_password(PASSWORD).unwrap(),
        role: Role::Editor,
        departments: vec!["kosodate".into()],
    }];
    let app = Application::build(settings).expect("server starts");
    let address = app.address();
    tokio::spawn(app.run_until_stopped());
    let mut editor = Admin {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        cookies: HashMap::new(),
        faq: std::sync::Arc::new(faq),
        _data: std::sync::Arc::new(data),
    };
    let csrf = editor.sign_in_as(EDITOR).await;
    // conveni-what belongs to 市民課 (shimin).
    let deleting = editor
        .post(
            "/admin/content/entry/conveni-what/delete",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(deleting.status, StatusCode::FORBIDDEN);
    let raw = editor
        .post(
            "/admin/content/file",
            &[("csrf", &csrf), ("path", "certificates.yaml"), ("text", "")],
        )
        .await;
    assert_eq!(raw.status, StatusCode::FORBIDDEN);
}
