//! The website channel, black-box: the server runs on a random loopback port
//! with a fresh SQLite file, and the tests talk HTTP to it.

mod common;

use std::net::SocketAddr;

use madoguchi::config::Settings;
use madoguchi::server::Application;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct TestServer {
    address: SocketAddr,
    client: reqwest::Client,
    _data: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut Settings)) -> TestServer {
        let data = tempfile::tempdir().unwrap();
        let mut settings = common::settings(data.path());
        adjust(&mut settings);
        let app = Application::build(settings).expect("server starts");
        let address = app.address();
        tokio::spawn(app.run_until_stopped());
        TestServer {
            address,
            // A new connection per request: a pooled one the server has
            // just closed for idling fails the request on a slow machine.
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            _data: data,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    async fn metrics(&self) -> String {
        let response = self.client.get(self.url("/metrics")).send().await.unwrap();
        response.text().await.unwrap()
    }

    async fn chat(&self, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url("/api/v1/chat"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn a_question_gets_an_answer_with_links_contact_and_ids() {
    let server = TestServer::start().await;
    let (status, reply) = server
        .chat(json!({ "text": "コンビニで住民票って取れる？" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply["kind"], "answer");
    assert_eq!(reply["entry_id"], "conveni-what");
    assert_eq!(reply["links"][0]["kind"], "コンビニ交付");
    assert!(
        reply["links"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert_eq!(reply["contact"]["department"], "市民課");
    assert_eq!(reply["ask_feedback"], true);
    assert!(reply["reply_id"].as_str().unwrap().len() >= 16);
    let session = reply["session_id"].as_str().unwrap().to_string();

    let (_, next) = server
        .chat(json!({ "session_id": session, "text": "ありがとう" }))
        .await;
    assert_eq!(next["kind"], "rule");
    assert_eq!(next["session_id"], session.as_str());
    assert_ne!(next["reply_id"], reply["reply_id"]);
}

#[tokio::test]
async fn choices_lead_to_answers_and_categories_to_their_entries() {
    let server = TestServer::start().await;
    let (_, reply) = server
        .chat(json!({ "text": "引っ越したときの手続き" }))
        .await;
    assert_eq!(reply["kind"], "choices");
    let choice = reply["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["id"] == "tenkyo")
        .expect("転居 is offered")["value"]
        .clone();
    let (status, answer) = server.chat(json!({ "choice": choice })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["entry_id"], "tenkyo");
    assert_eq!(answer["confidence"], "high");

    let (_, menu) = server.chat(json!({ "text": "メニュー" })).await;
    let category = menu["choices"][0]["value"].clone();
    assert_eq!(category["type"], "category");
    let (_, entries) = server.chat(json!({ "choice": category })).await;
    assert_eq!(entries["kind"], "choices");
    assert_eq!(entries["choices"][0]["value"]["type"], "entry");

    let (status, error) = server
        .chat(json!({ "choice": { "type": "entry", "id": "no-such-entry" } }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["error"]["code"], "unknown_choice");
}

#[tokio::test]
async fn feedback_is_recorded_for_known_replies_only() {
    let server = TestServer::start().await;
    let (_, reply) = server.chat(json!({ "text": "児童手当の申請方法" })).await;
    let vote = |id: Value, helpful: bool| {
        server
            .client
            .post(server.url("/api/v1/feedback"))
            .json(&json!({ "reply_id": id, "helpful": helpful }))
            .send()
    };
    assert_eq!(
        vote(reply["reply_id"].clone(), false)
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let missing = vote(json!("nope"), true).await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("madoguchi_feedback_total{helpful=\"no\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn bad_requests_get_json_errors_and_never_crash_the_server() {
    let server = TestServer::start_with(|s| s.web.max_body_bytes = 2048).await;
    let post = |body: &'static str, content_type: &'static str| {
        server
            .client
            .post(server.url("/api/v1/chat"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let malformed = post("{\"text\":", "application/json").await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json");

    let wrong_type = post("{\"text\":\"a\"}", "text/plain").await.unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let unknown_field = post("{\"txt\":\"a\"}", "application/json").await.unwrap();
    assert_eq!(unknown_field.status(), StatusCode::BAD_REQUEST);

    let big = "x".repeat(4096);
    let oversize = server
        .client
        .post(server.url("/api/v1/chat"))
        .header("content-type", "application/json")
        .body(format!("{{\"text\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(oversize.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let (status, error) = server.chat(json!({ "text": "あ".repeat(501) })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "text_too_long");

    let (status, error) = server.chat(json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "text_or_choice");

    let (status, _) = server
        .chat(json!({ "text": "a", "session_id": "../../etc" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, reply) = server
        .chat(json!({ "text": "<script>alert(1)</script>" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429() {
    let server = TestServer::start_with(|s| s.web.requests_per_minute = 3).await;
    for _ in 0..3 {
        let (status, _) = server.chat(json!({ "text": "住民票" })).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, error) = server.chat(json!({ "text": "住民票" })).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error["error"]["code"], "rate_limited");
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("madoguchi_rate_limited_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn only_allowed_origins_may_call_from_the_browser() {
    let server = TestServer::start_with(|s| {
        s.web.allowed_origins = vec!["https://www.city.kaizu.lg.jp".into()]
    })
    .await;
    let from = |origin: &'static str| {
        server
            .client
            .post(server.url("/api/v1/chat"))
            .header("origin", origin)
            .json(&json!({ "text": "住民票" }))
            .send()
    };
    let allowed = from("https://www.city.kaizu.lg.jp").await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "https://www.city.kaizu.lg.jp"
    );
    let other = from("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);

    let own_origin = format!("http://{}", server.address);
    let own = server
        .client
        .post(server.url("/api/v1/chat"))
        .header("origin", own_origin.as_str())
        .json(&json!({ "text": "住民票" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        own.status(),
        StatusCode::OK,
        "the demo page calls its own server"
    );
}

#[tokio::test]
async fn health_metrics_and_request_ids() {
    let server = TestServer::start().await;
    server.chat(json!({ "text": "宇宙旅行の申し込み" })).await;
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.headers().get("x-request-id").unwrap().len(), 32);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("madoguchi_decisions_total{channel=\"web\",kind=\"fallback\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("madoguchi_http_requests_total{route=\"/api/v1/chat\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("madoguchi_http_request_duration_seconds_count"),
        "{metrics}"
    );
    let version = madoguchi::faq::Content::load(&common::root().join("faq"))
        .unwrap()
        .0
        .version;
    assert!(
        metrics.contains(&format!(
            "madoguchi_content_info{{version=\"{version}\"}} 1"
        )),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let server = TestServer::start().await;
    let document: Value = server
        .client
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = document["paths"].as_object().unwrap();
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            let request = match method.as_str() {
                "get" => server.client.get(server.url(path)),
                "post" => server.client.post(server.url(path)).json(&json!({})),
                other => panic!("unexpected method {other}"),
            };
            let status = request.send().await.unwrap().status();
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but answers {status}"
            );
        }
    }
    for route in [
        "/api/v1/chat",
        "/api/v1/feedback",
        "/api/v1/notice",
        "/api/v1/handoff",
        "/api/v1/texts",
        "/api/openapi.json",
        "/healthz",
        "/metrics",
        "/widget.js",
        "/",
    ] {
        assert!(
            paths.contains_key(route),
            "{route} is served but not documented"
        );
    }
    let undocumented = server
        .client
        .get(server.url("/api/v1/other"))
        .send()
        .await
        .unwrap();
    assert_eq!(undocumented.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_widget_and_demo_page_are_served() {
    let server = TestServer::start().await;
    let widget = server
        .client
        .get(server.url("/widget.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        widget.headers().get("content-type").unwrap(),
        "application/javascript; charset=utf-8"
    );
    let script = widget.text().await.unwrap();
    assert!(
        script.len() < 30 * 1024,
        "the widget is {} bytes",
        script.len()
    );
    assert!(script.contains("attachShadow"));
    assert!(
        !script.contains("innerHTML"),
        "server text is inserted as text only"
    );
    let page = server
        .client
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<script src=\"/widget.js\""));
}

#[tokio::test]
async fn a_session_follows_a_flow_picks_by_number_and_is_helped_after_no() {
    let server = TestServer::start().await;
    let (_, step) = server.chat(json!({ "text": "引っ越しの手続き" })).await;
    assert_eq!(step["kind"], "flow");
    let session = step["session_id"].clone();
    let out = step["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == "海津市から市外へ")
        .expect("the button")["value"]
        .clone();
    assert_eq!(out, json!({ "type": "step", "id": "hikkoshi/out" }));
    let (_, next) = server
        .chat(json!({ "session_id": session, "choice": out }))
        .await;
    assert_eq!(next["kind"], "flow");
    // The resident types the number of a button instead of tapping it.
    let (_, answer) = server
        .chat(json!({ "session_id": session, "text": "２" }))
        .await;
    assert_eq!(answer["entry_id"], "tenshutsu", "{answer}");

    // 「いいえ」 with the session gets the other candidates, then the contact.
    let (_, asked) = server
        .chat(json!({ "session_id": session, "text": "引っ越したときの手続き" }))
        .await;
    let tenkyo = asked["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["id"] == "tenkyo")
        .unwrap()["value"]
        .clone();
    let (_, answered) = server
        .chat(json!({ "session_id": session, "choice": tenkyo }))
        .await;
    let response = server
        .client
        .post(server.url("/api/v1/feedback"))
        .json(&json!({ "reply_id": answered["reply_id"], "helpful": false, "session_id": session }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let follow_up: Value = response.json().await.unwrap();
    let labels: Vec<&str> = follow_up["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"どれでもない（問い合わせ先）"),
        "{labels:?}"
    );
    assert!(
        !follow_up.to_string().contains("\"id\":\"tenkyo\""),
        "{follow_up}"
    );
    assert!(labels.len() >= 2, "{labels:?}");
}

/// Polls `condition` until it holds; fails after ten seconds.
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, condition: impl Fn() -> F) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !condition().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn residents_are_answered_while_the_log_fails_and_nothing_is_lost() {
    let server = TestServer::start().await;
    let (status, _) = server.chat(json!({ "text": "住民票" })).await;
    assert_eq!(status, StatusCode::OK);
    let ready = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    // Break the query log for real: its table goes away under the server.
    let database = server._data.path().join(madoguchi::store::DATABASE_FILE);
    let sqlite = rusqlite::Connection::open(&database).unwrap();
    sqlite
        .busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    sqlite
        .execute_batch("ALTER TABLE replies RENAME TO replies_away")
        .unwrap();

    let (status, reply) = server
        .chat(json!({ "text": "コンビニで住民票って取れる？" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["kind"], "answer");
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("madoguchi_log_write_failures_total"),
        "{metrics}"
    );
    let not_ready = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = not_ready.json().await.unwrap();
    assert!(
        body["reasons"][0]
            .as_str()
            .unwrap()
            .contains("waiting to be written"),
        "{body}"
    );

    // Mended: the kept record is written, and the replica is ready again.
    sqlite
        .execute_batch("ALTER TABLE replies_away RENAME TO replies")
        .unwrap();
    let reply_id = reply["reply_id"].as_str().unwrap().to_string();
    eventually("the kept reply is written", || {
        let found = sqlite
            .query_row(
                "SELECT COUNT(*) FROM replies WHERE id = ?1",
                [&reply_id],
                |row| row.get::<_, i64>(0),
            )
            .unwrap();
        async move { found == 1 }
    })
    .await;
    eventually("the server is ready again", || async {
        let response = server
            .client
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap();
        response.status() == StatusCode::OK
    })
    .await;
    assert!(
        !server
            .metrics()
            .await
            .contains("madoguchi_log_records_lost_total")
    );
}

#[tokio::test]
async fn a_choice_of_an_entry_outside_its_dates_is_refused_clearly() {
    let faq = common::FaqCopy::new();
    faq.write(
        "season.yaml",
        "category: 季節\ndepartment: somu\nentries:\n  - id: old-festival\n    question: 昔の夏祭り\n    answer: 終わりました。\n    valid_until: 2001-08-31\n",
    );
    let path = faq.path().to_path_buf();
    let server = TestServer::start_with(|s| s.faq_dir = path).await;
    let (status, error) = server
        .chat(json!({ "choice": { "type": "entry", "id": "old-festival" } }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["error"]["code"], "unknown_choice");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("outside its dates"),
        "{error}"
    );
    let (status, reply) = server.chat(json!({ "text": "昔の夏祭り" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(reply["entry_id"], "old-festival");
}

#[tokio::test]
async fn easy_japanese_answers_come_with_furigana_where_staff_wrote_them() {
    let server = TestServer::start().await;
    let ask = |body: Value| {
        let request = server.client.post(server.url("/api/v1/chat")).json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let engine = common::demo_engine();
    let entry = engine.content().entry("gomi-bunbetsu").unwrap();
    let easy = entry
        .easy
        .as_deref()
        .expect("the demo writes easy: for it")
        .trim_end();

    let plain = ask(json!({ "text": "ごみの分け方を教えて" })).await;
    assert_eq!(plain["entry_id"], "gomi-bunbetsu", "{plain}");
    assert_eq!(plain["text"], entry.answer.trim_end());
    assert!(plain.get("text_ruby").is_none());

    let easier = ask(json!({ "text": "ごみの分け方を教えて", "easy": true })).await;
    assert_eq!(easier["text"], easy, "{easier}");
    let ruby = easier["text_ruby"]
        .as_array()
        .expect("ふりがな with やさしい日本語");
    let joined: String = ruby.iter().map(|s| s["text"].as_str().unwrap()).collect();
    assert_eq!(joined, easy);
    assert!(
        ruby.iter()
            .any(|s| s["text"] == "朝" && s["reading"] == "あさ"),
        "{ruby:?}"
    );

    // Sent once, kept for the session; sent false, dropped.
    let kept = json!("kept-session");
    ask(json!({ "session_id": kept, "text": "ごみの分け方を教えて", "easy": true })).await;
    let later = ask(json!({ "session_id": kept, "text": "ごみの分け方を教えて" })).await;
    assert_eq!(later["text"], easy, "{later}");
    assert!(later["text_ruby"].is_array(), "{later}");
    let plain_again =
        ask(json!({ "session_id": kept, "text": "ごみの分け方を教えて", "easy": false })).await;
    assert_eq!(plain_again["text"], entry.answer.trim_end());
    let furigana =
        ask(json!({ "session_id": kept, "text": "ごみの分け方を教えて", "furigana": true })).await;
    assert!(furigana["text_ruby"].is_array());
    let still = ask(json!({ "session_id": kept, "text": "ごみの分け方を教えて" })).await;
    assert!(still["text_ruby"].is_array(), "{still}");
    assert_eq!(still["text"], entry.answer.trim_end());

    // Saying so keeps it for the conversation (as LINE residents do).
    let session = json!("easy-session");
    let said = ask(json!({ "session_id": session, "text": "やさしい日本語" })).await;
    assert!(
        said["text"]
            .as_str()
            .unwrap()
            .starts_with("これから、やさしい日本語で"),
        "{said}"
    );
    let later = ask(json!({ "session_id": session, "text": "ごみの分け方を教えて" })).await;
    assert_eq!(later["text"], easy, "{later}");
    ask(json!({ "session_id": session, "text": "ふつうの日本語" })).await;
    let back = ask(json!({ "session_id": session, "text": "ごみの分け方を教えて" })).await;
    assert_eq!(back["text"], entry.answer.trim_end(), "{back}");
}

#[tokio::test]
async fn residents_are_answered_in_their_language_where_the_content_has_it() {
    let server = TestServer::start().await;
    let ask = |body: Value, accept: Option<&'static str>| {
        let mut request = server.client.post(server.url("/api/v1/chat")).json(&body);
        if let Some(accept) = accept {
            request = request.header("accept-language", accept);
        }
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let engine = common::demo_engine();
    let english = |id: &str| {
        engine.content().entry(id).unwrap().answers[&madoguchi::i18n::Lang::En]
            .trim_end()
            .to_string()
    };

    let typed = ask(
        json!({ "text": "How can I apply for a My Number Card?", "lang": "en" }),
        None,
    )
    .await;
    assert_eq!(typed["entry_id"], "mynumber-apply", "{typed}");
    assert_eq!(typed["text"], english("mynumber-apply"));
    // The catalogues' names too, where they have them.
    assert_eq!(
        typed["contact"]["department"], "Citizens Division",
        "{typed}"
    );
    assert!(
        typed["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["title"] == "Apply online for a My Number Card"),
        "{typed}"
    );

    // The browser's language, for a new conversation; kept after.
    let session = json!("pt-session");
    let portuguese = ask(
        json!({ "session_id": session, "text": "Como separar o lixo?" }),
        Some("pt-BR,pt;q=0.9,ja;q=0.5"),
    )
    .await;
    assert_eq!(portuguese["entry_id"], "gomi-bunbetsu", "{portuguese}");
    assert!(
        portuguese["text"]
            .as_str()
            .unwrap()
            .starts_with("Separe o lixo"),
        "{portuguese}"
    );

    // Asked in Japanese, answered in the resident's language.
    let japanese = ask(
        json!({ "session_id": session, "text": "コンビニで住民票を取りたい" }),
        None,
    )
    .await;
    assert_eq!(japanese["entry_id"], "conveni-what", "{japanese}");
    assert!(
        japanese["text"]
            .as_str()
            .unwrap()
            .starts_with("Com o cartão My Number"),
        "{japanese}"
    );

    // No translation: the Japanese answer after a note in their language.
    let untranslated = ask(
        json!({ "session_id": session, "text": "印鑑証明を取りたい" }),
        None,
    )
    .await;
    let text = untranslated["text"].as_str().unwrap();
    assert!(
        untranslated["entry_id"].is_string()
            && text.starts_with("Esta resposta está disponível apenas em japonês."),
        "{untranslated}"
    );

    // The content's rules, in the language where staff translated them;
    // the reply says which language it speaks.
    let hello = ask(json!({ "text": "Hello!", "lang": "en" }), None).await;
    assert_eq!(
        (&hello["kind"], &hello["lang"]),
        (&json!("rule"), &json!("en"))
    );
    assert_eq!(
        hello["text"],
        engine.content().rules.rule("greeting").unwrap().replies[&madoguchi::i18n::Lang::En]
            .trim_end(),
        "{hello}"
    );
    let thanks = ask(json!({ "session_id": session, "text": "ありがとう" }), None).await;
    assert!(
        thanks["text"].as_str().unwrap().starts_with("De nada."),
        "{thanks}"
    );

    // Nothing found in their language: the apology in it.
    let nothing = ask(json!({ "text": "spaceship license", "lang": "en" }), None).await;
    assert_eq!(nothing["kind"], "fallback");
    assert!(
        nothing["text"].as_str().unwrap().starts_with("Sorry,"),
        "{nothing}"
    );

    let refused = server
        .client
        .post(server.url("/api/v1/chat"))
        .json(&json!({ "text": "hello", "lang": "xx" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}
