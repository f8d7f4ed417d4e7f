//! The LINE channel, black-box: the server runs on a random loopback port,
//! a stand-in for the Messaging API runs on another, and the tests post
//! signed webhook requests as LINE would.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::line_api::{Failure, LineApi, Received};
use madoguchi::channels::line::signature;
use madoguchi::config::Settings;
use madoguchi::server::Application;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "test-channel-secret";
const TOKEN: &str = "test-access-token";
const USER: &str = "U4af4980629a0c2f8d6e1f7b1c5a3e7d9";
const WAIT: Duration = Duration::from_secs(20);

struct LineServer {
    address: SocketAddr,
    api: LineApi,
    client: reqwest::Client,
    data: tempfile::TempDir,
}

impl LineServer {
    async fn start() -> LineServer {
        LineServer::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut Settings)) -> LineServer {
        let api = LineApi::start(TOKEN);
        let data = tempfile::tempdir().unwrap();
        let mut settings = common::settings(data.path());
        settings.line.channel_secret = Some(SECRET.into());
        settings.line.channel_access_token = Some(TOKEN.into());
        settings.line.api_base = api.base();
        settings.line.initial_backoff_ms = 10;
        settings.line.max_backoff_ms = 50;
        settings.line.loading_after_ms = 60_000;
        adjust(&mut settings);
        let app = Application::build(settings).expect("server starts");
        let address = app.address();
        tokio::spawn(app.run_until_stopped());
        LineServer {
            address,
            api,
            // A new connection per request: a pooled one the server has
            // just closed for idling fails the request (IncompleteMessage)
            // when a slow machine leaves gaps between requests.
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            data,
        }
    }

    async fn post(&self, body: &[u8], signature: Option<&str>) -> StatusCode {
        let mut request = self
            .client
            .post(format!("http://{}/webhooks/line", self.address))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("x-line-signature", signature);
        }
        request.send().await.unwrap().status()
    }

    /// Posts `body` signed with the channel secret.
    async fn deliver(&self, body: &Value) -> StatusCode {
        let bytes = serde_json::to_vec(body).unwrap();
        self.post(&bytes, Some(&signature::sign(SECRET, &bytes)))
            .await
    }

    /// Posts `body` signed, concurrently with whatever else runs.
    fn deliver_later(&self, body: &Value) -> tokio::task::JoinHandle<StatusCode> {
        let bytes = serde_json::to_vec(body).unwrap();
        let signature = signature::sign(SECRET, &bytes);
        let request = self
            .client
            .post(format!("http://{}/webhooks/line", self.address))
            .header("content-type", "application/json")
            .header("x-line-signature", signature)
            .body(bytes);
        tokio::spawn(async move { request.send().await.unwrap().status() })
    }

    async fn metrics(&self) -> String {
        self.client
            .get(format!("http://{}/metrics", self.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Waits until every event the webhook queued has been handled (replied
    /// to, pushed, ignored or given up on), so that what was not sent can be
    /// asserted without guessing how long to wait.
    async fn settled(&self) {
        let count = |metrics: &str, prefix: &str, filter: &str| -> u64 {
            metrics
                .lines()
                .filter(|l| l.starts_with(prefix) && l.contains(filter))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
                .sum()
        };
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let metrics = self.metrics().await;
            let queued = count(
                &metrics,
                "madoguchi_line_events_total{",
                "outcome=\"queued\"",
            );
            let handled = count(&metrics, "madoguchi_line_events_handled_total", "");
            if handled >= queued {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{handled} of {queued} events handled:\n{metrics}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for `count` replies and returns them.
    async fn replies(&self, count: usize) -> Vec<Received> {
        self.api.wait_for("reply", count, WAIT).await
    }
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(common::root().join("webhooks").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A one-to-one text message event with its own ids.
fn text_event(text: &str, user: &str, n: usize) -> Value {
    let mut event = fixture("text.json")["events"][0].clone();
    event["message"]["text"] = json!(text);
    event["source"]["userId"] = json!(user);
    event["webhookEventId"] = json!(format!("EV{n:06}"));
    event["replyToken"] = json!(format!("token-{n:06}"));
    event
}

fn postback_event(data: &str, n: usize) -> Value {
    let mut event = fixture("postback.json")["events"][0].clone();
    event["postback"]["data"] = json!(data);
    event["webhookEventId"] = json!(format!("PB{n:06}"));
    event["replyToken"] = json!(format!("pb-token-{n:06}"));
    event
}

fn body(events: Vec<Value>) -> Value {
    json!({ "destination": "Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "events": events })
}

/// All the texts of a reply, those of answer cards included, joined.
fn texts(reply: &Received) -> String {
    let mut texts = Vec::new();
    let mut stack: Vec<&Value> = reply.body["messages"].as_array().unwrap().iter().collect();
    stack.reverse();
    while let Some(node) = stack.pop() {
        if let Some(text) = node.get("text").and_then(Value::as_str)
            && node.get("action").is_none()
        {
            texts.push(text.to_string());
        }
        let children: Vec<&Value> = match node {
            Value::Object(map) => map
                .iter()
                .filter(|(key, _)| *key != "quickReply")
                .map(|(_, value)| value)
                .collect(),
            Value::Array(items) => items.iter().collect(),
            _ => Vec::new(),
        };
        stack.extend(children.into_iter().rev());
    }
    texts.join("\n")
}

/// The actions of the buttons on a reply's answer card.
fn card_actions(reply: &Received) -> Vec<Value> {
    let card = reply.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "flex")
        .expect("an answer card");
    // In the order they are shown: blocks top to bottom, boxes in order.
    fn walk(node: &Value, actions: &mut Vec<Value>) {
        if let Some(action) = node.get("action") {
            actions.push(action.clone());
        }
        for block in ["header", "hero", "body", "footer"] {
            if let Some(child) = node.get(block) {
                walk(child, actions);
            }
        }
        for child in node["contents"].as_array().into_iter().flatten() {
            walk(child, actions);
        }
    }
    let mut actions = Vec::new();
    walk(&card["contents"], &mut actions);
    actions
}

/// The quick reply actions under a reply's last message.
fn quick_replies(reply: &Received) -> Vec<Value> {
    let messages = reply.body["messages"].as_array().unwrap();
    messages.last().unwrap()["quickReply"]["items"]
        .as_array()
        .map(|items| items.iter().map(|i| i["action"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_signed_text_gets_the_answer_with_links_and_feedback_buttons() {
    let server = LineServer::start().await;
    let status = server.deliver(&fixture("text.json")).await;
    assert_eq!(status, StatusCode::OK);
    let replies = server.replies(1).await;
    let reply = &replies[0];
    assert_eq!(reply.body["replyToken"], "38ef843bde154d9b91c21320ffd17a0f");
    let text = texts(reply);
    assert!(text.contains("コンビニ"), "{text}");
    let actions = card_actions(reply);
    let uris: Vec<&str> = actions.iter().filter_map(|a| a["uri"].as_str()).collect();
    assert!(uris.iter().any(|u| u.starts_with("https://")), "{uris:?}");
    assert!(uris.iter().any(|u| u.starts_with("tel:")), "{uris:?}");
    let votes: Vec<&Value> = actions.iter().filter(|a| a["type"] == "postback").collect();
    let labels: Vec<&str> = votes.iter().map(|a| a["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["役に立った", "役に立たなかった"]);
    let alt_text = reply.body["messages"][0]["altText"].as_str().unwrap();
    assert!(
        alt_text.contains("コンビニ") && alt_text.chars().count() <= 100,
        "{alt_text}"
    );

    // The resident's vote is stored against the reply and thanked.
    let vote = votes[1]["data"].as_str().unwrap().to_string();
    assert_eq!(
        server.deliver(&body(vec![postback_event(&vote, 1)])).await,
        StatusCode::OK
    );
    let replies = server.replies(2).await;
    let thanks = texts(&replies[1]);
    assert!(thanks.contains("申し訳ありません"), "{thanks}");
    assert!(thanks.contains("問い合わせ先"), "{thanks}");
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("madoguchi_feedback_total{helpful=\"no\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("madoguchi_line_deliveries_total{outcome=\"replied\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn bad_or_missing_signatures_get_401_and_nothing_is_sent() {
    let server = LineServer::start().await;
    let bytes = serde_json::to_vec(&fixture("text.json")).unwrap();
    assert_eq!(server.post(&bytes, None).await, StatusCode::UNAUTHORIZED);
    let wrong = signature::sign("another-secret", &bytes);
    assert_eq!(
        server.post(&bytes, Some(&wrong)).await,
        StatusCode::UNAUTHORIZED
    );
    // A signature of the body before it was tampered with.
    let original = signature::sign(SECRET, &bytes);
    let tampered = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("住民票", "戸籍票")
        .into_bytes();
    assert_eq!(
        server.post(&tampered, Some(&original)).await,
        StatusCode::UNAUTHORIZED
    );
    // The verification request, properly signed, is accepted.
    assert_eq!(
        server.deliver(&fixture("verification.json")).await,
        StatusCode::OK
    );
    server.settled().await;
    assert!(
        server.api.attempts().is_empty(),
        "{:?}",
        server.api.attempts()
    );
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("madoguchi_line_webhooks_total{result=\"bad_signature\"} 3"),
        "{metrics}"
    );
}

#[tokio::test]
async fn malformed_and_oversize_bodies_get_4xx() {
    let server = LineServer::start_with(|s| s.line.max_body_bytes = 4096).await;
    for bad in [&b"{\"events\": [ oops"[..], b"[]", b"{\"events\": 3}"] {
        let status = server.post(bad, Some(&signature::sign(SECRET, bad))).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let events: Vec<Value> = (0..40).map(|n| text_event("住民票", USER, n)).collect();
    let big = serde_json::to_vec(&body(events)).unwrap();
    assert!(big.len() > 4096);
    let status = server
        .post(&big, Some(&signature::sign(SECRET, &big)))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Still serving.
    assert_eq!(server.deliver(&fixture("text.json")).await, StatusCode::OK);
    server.replies(1).await;
}

#[tokio::test]
async fn a_redelivered_event_is_answered_once() {
    let server = LineServer::start().await;
    assert_eq!(server.deliver(&fixture("text.json")).await, StatusCode::OK);
    assert_eq!(
        server.deliver(&fixture("redelivery.json")).await,
        StatusCode::OK
    );
    server.replies(1).await;
    server.settled().await;
    assert_eq!(server.api.attempts(), [("reply", 200)]);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("madoguchi_line_events_total{outcome=\"duplicate\",type=\"message\"} 1")
            || metrics
                .contains("madoguchi_line_events_total{type=\"message\",outcome=\"duplicate\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_tapped_or_typed_choice_gets_the_chosen_answer() {
    let server = LineServer::start().await;
    // The category button of the menu lists its questions.
    assert_eq!(
        server.deliver(&fixture("postback.json")).await,
        StatusCode::OK
    );
    let menu = server.replies(1).await;
    let choices = quick_replies(&menu[0]);
    assert!(choices.len() >= 3, "{choices:?}");
    for choice in &choices {
        assert!(choice["label"].as_str().unwrap().chars().count() <= 20);
        assert!(choice["displayText"].is_string());
    }
    let listing = texts(&menu[0]);
    assert!(listing.contains("\n1. "), "{listing}");
    // Questions longer than a quick reply's label are cards too, whole.
    let carousel = menu[0].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["contents"]["type"] == "carousel")
        .expect("the questions as cards");
    let cards = carousel["contents"]["contents"].as_array().unwrap();
    let more = choices
        .iter()
        .filter(|c| c["label"] == "もっと見る")
        .count();
    assert_eq!(cards.len(), choices.len() - more);

    // Tapping the second choice answers its question.
    let tapped = choices[1]["data"].as_str().unwrap();
    assert_eq!(
        server.deliver(&body(vec![postback_event(tapped, 1)])).await,
        StatusCode::OK
    );
    let replies = server.replies(2).await;
    let engine = common::demo_engine();
    let id = serde_json::from_str::<Value>(tapped).unwrap()["choice"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let madoguchi::engine::Decision::Answer(expected) = engine.answer(&id).unwrap() else {
        panic!("an answer")
    };
    assert!(
        texts(&replies[1]).starts_with(expected.text.trim()),
        "{}",
        texts(&replies[1])
    );

    // After a new listing, typing 「１」 picks the first choice.
    assert_eq!(
        server
            .deliver(&body(vec![postback_event(
                fixture("postback.json")["events"][0]["postback"]["data"]
                    .as_str()
                    .unwrap(),
                2
            )]))
            .await,
        StatusCode::OK
    );
    let first_id = serde_json::from_str::<Value>(choices[0]["data"].as_str().unwrap()).unwrap()
        ["choice"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    server.replies(3).await;
    assert_eq!(
        server.deliver(&body(vec![text_event("１", USER, 9)])).await,
        StatusCode::OK
    );
    let replies = server.replies(4).await;
    let madoguchi::engine::Decision::Answer(first) = engine.answer(&first_id).unwrap() else {
        panic!("an answer")
    };
    assert!(
        texts(&replies[3]).starts_with(first.text.trim()),
        "{}",
        texts(&replies[3])
    );
}

#[tokio::test]
async fn follow_unfollow_stickers_and_groups() {
    let server = LineServer::start().await;
    assert_eq!(
        server.deliver(&fixture("follow.json")).await,
        StatusCode::OK
    );
    let replies = server.replies(1).await;
    assert!(
        texts(&replies[0]).contains("友だち追加"),
        "{}",
        texts(&replies[0])
    );
    let categories = quick_replies(&replies[0]);
    assert!(categories.len() >= 5, "{categories:?}");

    assert_eq!(
        server.deliver(&fixture("sticker.json")).await,
        StatusCode::OK
    );
    let replies = server.replies(2).await;
    assert!(
        texts(&replies[1]).contains("文章で入力"),
        "{}",
        texts(&replies[1])
    );

    // In a group, only the message mentioning the bot is answered.
    assert_eq!(
        server.deliver(&fixture("group-message.json")).await,
        StatusCode::OK
    );
    let replies = server.replies(3).await;
    assert_eq!(
        replies[2].body["replyToken"],
        "0f3779fba3b349968c5d07db31eab56f"
    );
    assert!(
        texts(&replies[2]).contains("ごみ"),
        "{}",
        texts(&replies[2])
    );

    assert_eq!(
        server.deliver(&fixture("unfollow.json")).await,
        StatusCode::OK
    );
    server.settled().await;
    assert_eq!(
        server.api.received().len(),
        3,
        "nothing is sent to a blocker"
    );
    let metrics = server.metrics().await;
    assert!(metrics.contains("reason=\"not_mentioned\""), "{metrics}");
    assert!(metrics.contains("reason=\"unfollow\""), "{metrics}");
}

#[tokio::test]
async fn a_429_then_200_delivers_once_and_server_errors_are_retried() {
    let server = LineServer::start().await;
    server
        .api
        .fail_next(&[Failure::TooManyRequests, Failure::TooManyRequests]);
    assert_eq!(server.deliver(&fixture("text.json")).await, StatusCode::OK);
    server.replies(1).await;
    server.settled().await;
    assert_eq!(
        server.api.attempts(),
        [("reply", 429), ("reply", 429), ("reply", 200)]
    );

    // A 500 may have delivered the reply: LINE then calls the token
    // invalid, and the reply is not sent again.
    server
        .api
        .fail_next(&[Failure::ServerError, Failure::InvalidReplyToken]);
    assert_eq!(
        server
            .deliver(&body(vec![text_event("印鑑登録", USER, 1)]))
            .await,
        StatusCode::OK
    );
    server.settled().await;
    assert_eq!(
        &server.api.attempts()[3..],
        [("reply", 500), ("reply", 400)]
    );
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("madoguchi_line_api_requests_total{endpoint=\"reply\",status=\"429\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn giving_up_is_counted_and_nothing_panics() {
    let server = LineServer::start_with(|s| s.line.max_attempts = 3).await;
    server.api.fail_next(&[Failure::ServerError; 3]);
    assert_eq!(server.deliver(&fixture("text.json")).await, StatusCode::OK);
    let deadline = std::time::Instant::now() + WAIT;
    while !server
        .metrics()
        .await
        .contains("madoguchi_line_deliveries_total{outcome=\"failed\"} 1")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            server.metrics().await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.api.attempts().len(), 3);
    // The next event is answered normally.
    assert_eq!(
        server
            .deliver(&body(vec![text_event("住民票", USER, 1)]))
            .await,
        StatusCode::OK
    );
    server.replies(1).await;
}

#[tokio::test]
async fn an_expired_reply_token_falls_back_to_a_push_with_a_retry_key() {
    let server = LineServer::start_with(|s| s.line.push_fallback = true).await;
    server
        .api
        .fail_next(&[Failure::InvalidReplyToken, Failure::ServerError]);
    assert_eq!(server.deliver(&fixture("text.json")).await, StatusCode::OK);
    let pushes = server.api.wait_for("push", 1, WAIT).await;
    assert_eq!(pushes[0].body["to"], USER);
    let key = pushes[0].retry_key.clone().expect("X-Line-Retry-Key");
    assert!(uuid::Uuid::parse_str(&key).is_ok(), "{key}");
    assert!(texts(&pushes[0]).contains("コンビニ"));
    // The failed first push and its retry carried the same key.
    assert_eq!(
        server.api.attempts(),
        [("reply", 400), ("push", 500), ("push", 200)]
    );

    // Without push_fallback nothing is pushed.
    let quiet = LineServer::start().await;
    quiet.api.fail_next(&[Failure::InvalidReplyToken]);
    assert_eq!(quiet.deliver(&fixture("text.json")).await, StatusCode::OK);
    quiet.settled().await;
    assert_eq!(quiet.api.attempts(), [("reply", 400)]);
}

#[tokio::test]
async fn a_slow_answer_shows_the_loading_animation() {
    let server = LineServer::start_with(|s| s.line.loading_after_ms = 0).await;
    assert_eq!(server.deliver(&fixture("text.json")).await, StatusCode::OK);
    server.replies(1).await;
    let loading = server.api.wait_for("loading", 1, WAIT).await;
    assert_eq!(loading[0].body["chatId"], USER);
}

#[tokio::test]
async fn a_burst_of_1000_events_is_answered_once_each() {
    let server = LineServer::start().await;
    let questions = [
        "住民票をコンビニで取りたい",
        "印鑑登録",
        "児童手当",
        "ごみの出し方",
        "メニュー",
    ];
    let requests: Vec<Value> = (0..100)
        .map(|r| {
            body(
                (0..10)
                    .map(|e| {
                        let n = r * 10 + e;
                        text_event(
                            questions[n % questions.len()],
                            &format!("U{:032}", n % 37),
                            n,
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    let sends: Vec<_> = requests.iter().map(|r| server.deliver_later(r)).collect();
    for send in sends {
        assert_eq!(send.await.unwrap(), StatusCode::OK);
    }
    // LINE redelivers a few.
    for request in requests.iter().take(5) {
        assert_eq!(server.deliver(request).await, StatusCode::OK);
    }
    let replies = server.replies(1000).await;
    server.settled().await;
    let tokens: std::collections::HashSet<String> = server
        .api
        .received()
        .iter()
        .map(|r| r.body["replyToken"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(replies.len(), 1000);
    assert_eq!(server.api.received().len(), 1000, "none twice");
    assert_eq!(tokens.len(), 1000);
    assert!(
        server
            .api
            .attempts()
            .iter()
            .all(|(_, status)| *status == 200)
    );

    // The log holds pseudonyms, never LINE user ids.
    let database = std::fs::read(server.data.path().join("madoguchi.sqlite3")).unwrap();
    let wal = std::fs::read(server.data.path().join("madoguchi.sqlite3-wal")).unwrap_or_default();
    for bytes in [database, wal] {
        let haystack = String::from_utf8_lossy(&bytes);
        assert!(!haystack.contains(&format!("U{:032}", 5)));
    }
}

#[tokio::test]
async fn a_full_queue_refuses_with_503_and_lets_redelivery_through() {
    let server = LineServer::start_with(|s| {
        s.line.workers = 1;
        s.line.queue_capacity = 1;
        s.line.initial_backoff_ms = 300;
        s.line.max_backoff_ms = 300;
        s.line.max_attempts = 3;
    })
    .await;
    // The worker is kept busy retrying the first reply.
    server
        .api
        .fail_next(&[Failure::ServerError, Failure::ServerError]);
    let mut statuses = Vec::new();
    for n in 0..4 {
        statuses.push(
            server
                .deliver(&body(vec![text_event("住民票", USER, n)]))
                .await,
        );
        if n == 0 {
            // The worker has taken the first event once it calls LINE.
            let deadline = std::time::Instant::now() + WAIT;
            while server.api.attempts().is_empty() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the first event was not taken"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    assert!(
        statuses.contains(&StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert_eq!(statuses[0], StatusCode::OK);
    let refused = statuses
        .iter()
        .position(|s| *s == StatusCode::SERVICE_UNAVAILABLE)
        .unwrap();
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("madoguchi_line_webhooks_total{result=\"queue_full\"}"),
        "{metrics}"
    );
    // Redelivered later, the refused event is taken and answered.
    let accepted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    server.replies(accepted).await;
    assert_eq!(
        server
            .deliver(&body(vec![text_event("住民票", USER, refused)]))
            .await,
        StatusCode::OK
    );
    server.replies(accepted + 1).await;
}

/// Runs `madoguchi line-send` against the server.
async fn line_send(server: &LineServer, file: &str, secret: &str) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    command
        .arg("line-send")
        .arg(common::root().join("webhooks").join(file))
        .args(["--secret", secret])
        .args(["--url", &format!("http://{}/webhooks/line", server.address)]);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn line_send_signs_a_sample_for_a_running_server() {
    let server = LineServer::start().await;
    let sent = line_send(&server, "text.json", SECRET).await;
    assert!(sent.status.success(), "{sent:?}");
    assert!(String::from_utf8_lossy(&sent.stdout).starts_with("200"));
    server.replies(1).await;

    let refused = line_send(&server, "follow.json", "wrong-secret").await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stdout).starts_with("401"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_flow_runs_in_quick_replies_and_numbers() {
    let server = LineServer::start().await;
    let start = body(vec![text_event("引っ越しの手続き", USER, 1)]);
    assert_eq!(server.deliver(&start).await, StatusCode::OK);
    let replies = server.replies(1).await;
    let buttons = quick_replies(&replies[0]);
    let labels: Vec<&str> = buttons
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["市外から海津市へ", "海津市から市外へ", "海津市の中で"]
    );
    assert!(texts(&replies[0]).contains("どちらへの引っ越しですか"));

    let out = buttons[1]["data"].as_str().unwrap();
    assert_eq!(
        server.deliver(&body(vec![postback_event(out, 2)])).await,
        StatusCode::OK
    );
    let replies = server.replies(2).await;
    assert!(
        texts(&replies[1]).contains("マイナンバーカード"),
        "{}",
        texts(&replies[1])
    );

    assert_eq!(
        server.deliver(&body(vec![text_event("2", USER, 3)])).await,
        StatusCode::OK
    );
    let replies = server.replies(3).await;
    let engine = common::demo_engine();
    let madoguchi::engine::Decision::Answer(expected) = engine.answer("tenshutsu").unwrap() else {
        panic!("an answer")
    };
    assert!(
        texts(&replies[2]).starts_with(expected.text.trim()),
        "{}",
        texts(&replies[2])
    );
}

/// Correctly signed bodies of every shape a broken or hostile sender could
/// make (cut short, bytes flipped, fields of the wrong type, odd Unicode):
/// each gets 200 or a 4xx, never a 5xx, and the channel keeps answering.
#[tokio::test]
async fn arbitrary_signed_bodies_get_200_or_4xx_never_5xx() {
    let server = LineServer::start_with(|s| s.line.max_body_bytes = 8192).await;
    let valid = serde_json::to_vec(&fixture("text.json")).unwrap();
    let mut random = fastrand::Rng::with_seed(20261202);
    let odd = [
        "null",
        "true",
        "-1",
        "1e999",
        "\"\\ud800\"",
        "[]",
        "{}",
        "\"😀\"",
        "\"\u{0}\"",
    ];
    let mut statuses = std::collections::BTreeMap::new();
    for case in 0..300 {
        let mut bytes = valid.clone();
        match case % 4 {
            0 => bytes.truncate(random.usize(..bytes.len())),
            1 => {
                for _ in 0..random.usize(1..8) {
                    let at = random.usize(..bytes.len());
                    bytes[at] = random.u8(..);
                }
            }
            2 => {
                // A value somewhere replaced by one of another type.
                let text = String::from_utf8_lossy(&bytes).to_string();
                let colons: Vec<usize> = text.match_indices(':').map(|(i, _)| i).collect();
                let at = colons[random.usize(..colons.len())] + 1;
                let end = text[at..].find([',', '}']).map_or(text.len(), |e| at + e);
                let value = odd[random.usize(..odd.len())];
                bytes = format!("{}{value}{}", &text[..at], &text[end..]).into_bytes();
            }
            _ => {
                let length = random.usize(..600);
                bytes = (0..length).map(|_| random.u8(..)).collect();
            }
        }
        let status = server
            .post(&bytes, Some(&signature::sign(SECRET, &bytes)))
            .await;
        assert!(
            status == StatusCode::OK || status.is_client_error(),
            "{status} for {:?}",
            String::from_utf8_lossy(&bytes)
        );
        *statuses.entry(status.as_u16()).or_insert(0) += 1;
    }
    assert!(statuses.contains_key(&400), "{statuses:?}");
    server.settled().await;
    let before = server.api.received().len();
    assert_eq!(
        server
            .deliver(&body(vec![text_event("住民票", USER, 999_999)]))
            .await,
        StatusCode::OK
    );
    server.replies(before + 1).await;
}

#[tokio::test]
async fn rich_menu_taps_are_answered_and_tab_switches_pass_silently() {
    let server = LineServer::start().await;
    assert_eq!(
        server.deliver(&fixture("richmenu-answer.json")).await,
        StatusCode::OK
    );
    let answer = texts(&server.replies(1).await[0]);
    assert!(answer.contains("避難所"), "{answer}");

    let switch = fixture("richmenu-switch.json");
    assert_eq!(
        switch["events"][0]["postback"]["data"],
        madoguchi::channels::line::webhook::PostbackData::MenuSwitch("disaster".into()).encode(),
        "the data the rich menu's tab carries"
    );
    assert_eq!(server.deliver(&switch).await, StatusCode::OK);
    server.settled().await;
    assert_eq!(
        server
            .api
            .received()
            .iter()
            .filter(|r| r.endpoint == "reply")
            .count(),
        1
    );
    assert!(!server.metrics().await.contains("unknown_postback"));
}

#[tokio::test]
async fn joining_a_group_and_new_members_get_a_short_introduction() {
    let server = LineServer::start().await;
    for (n, file) in ["join.json", "member-joined.json"].into_iter().enumerate() {
        assert_eq!(server.deliver(&fixture(file)).await, StatusCode::OK);
        let replies = server.replies(n + 1).await;
        let intro = texts(&replies[n]);
        assert!(intro.contains("メンション"), "{file}: {intro}");
        assert_eq!(
            replies[n].body["replyToken"],
            fixture(file)["events"][0]["replyToken"]
        );
    }
}

#[tokio::test]
async fn an_unsent_message_is_deleted_from_the_log() {
    let server = LineServer::start().await;
    let export = || {
        let store = madoguchi::store::Store::open(server.data.path()).unwrap();
        let mut out = Vec::new();
        store.export_csv(0, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let text = fixture("text.json");
    assert_eq!(server.deliver(&text).await, StatusCode::OK);
    server.replies(1).await;
    let before = export();
    assert!(before.contains("住民票をコンビニで取りたい"), "{before}");

    // The fixture takes back the message of text.json.
    assert_eq!(
        server.deliver(&fixture("unsend.json")).await,
        StatusCode::OK
    );
    server.settled().await;
    let after = export();
    assert!(!after.contains("住民票をコンビニで取りたい"), "{after}");
    assert_eq!(
        after.lines().count(),
        before.lines().count(),
        "the record stays"
    );
    assert!(
        server
            .metrics()
            .await
            .contains("madoguchi_line_unsent_total{found=\"yes\"} 1")
    );
    assert_eq!(server.api.attempts(), [("reply", 200)], "nothing is said");
}

#[tokio::test]
async fn the_dashboard_shows_this_months_pushes_and_warns_before_the_limit() {
    let password = "窓口-line-2026";
    let hash = madoguchi::admin::auth::hash_password(password).unwrap();
    let server = LineServer::start_with(|s| {
        s.line.push_fallback = true;
        s.admin.secure_cookie = false;
        s.admin.users = vec![madoguchi::config::AdminUser {
            name: "staff".into(),
            password_hash: hash,
            ..Default::default()
        }];
    })
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("http://{}", server.address);
    let session = common::sign_in(&client, &url, "staff", password).await;
    let admin = format!("{url}/admin");
    let dashboard = || common::page(&client, &admin, &session);
    server.api.set_push_limit(Some(20));
    let page = dashboard().await;
    assert!(page.contains("0 通 ／ 上限 20 通（残り 20 通）"), "{page}");
    assert!(!page.contains("残りがわずか"), "{page}");

    // An expired reply token: the answer is pushed, and counted.
    server.api.fail_next(&[Failure::InvalidReplyToken]);
    assert_eq!(server.deliver(&fixture("text.json")).await, StatusCode::OK);
    let pushed = server.api.wait_for("push", 1, WAIT).await;
    let used = pushed[0].body["messages"].as_array().unwrap().len();
    // At the limit (under a tenth of it left), staff are warned.
    server.api.set_push_limit(Some(used as u64));
    let page = dashboard().await;
    assert!(
        page.contains(&format!("{used} 通 ／ 上限 {used} 通（残り 0 通）")),
        "{page}"
    );
    assert!(page.contains("残りがわずか"), "{page}");
    server.api.set_push_limit(None);
    assert!(dashboard().await.contains("（上限なし）"));
}

#[tokio::test]
async fn a_shared_location_is_answered_with_the_nearest_shelters() {
    let server = LineServer::start().await;
    let location = fixture("location.json");
    assert_eq!(server.deliver(&location).await, StatusCode::OK);
    let replies = server.replies(1).await;
    let messages = replies[0].body["messages"].as_array().unwrap();

    // First the three nearest shelters of the content, nearest first.
    let here = &location["events"][0]["message"];
    let (latitude, longitude) = (
        here["latitude"].as_f64().unwrap(),
        here["longitude"].as_f64().unwrap(),
    );
    let engine = common::demo_engine();
    let expected: Vec<String> =
        madoguchi::faq::shelter::nearest(&engine.content().shelters, latitude, longitude, 3)
            .into_iter()
            .map(|(s, _)| s.name.clone())
            .collect();
    assert_eq!(expected.len(), 3, "the demo lists shelters");
    let cards = messages[0]["contents"]["contents"]
        .as_array()
        .expect("a carousel");
    let names: Vec<&str> = cards
        .iter()
        .map(|card| card["body"]["contents"][0]["text"].as_str().unwrap())
        .collect();
    assert_eq!(names, expected);
    let first = &cards[0];
    assert!(
        first["body"]["contents"][2]["text"]
            .as_str()
            .unwrap()
            .ends_with("（直線距離）")
    );
    let map = first["footer"]["contents"][0]["action"]["uri"]
        .as_str()
        .unwrap();
    assert!(map.starts_with("https://maps.gsi.go.jp/#17/35."), "{map}");
    assert!(
        messages[0]["altText"]
            .as_str()
            .unwrap()
            .starts_with(&format!("近くの避難所：{}（", expected[0])),
        "{}",
        messages[0]["altText"]
    );

    // Then the content's answer about shelters.
    let text = texts(&replies[0]);
    let madoguchi::engine::Decision::Answer(shelters) = engine.answer("hinanjo").unwrap() else {
        panic!("the demo content names its shelters' entry")
    };
    assert!(text.contains(shelters.text.trim()), "{text}");

    // Content without shelters or an entry for locations asks for words.
    let faq = common::FaqCopy::new();
    faq.edit("rules.yaml", "location_answer: hinanjo\n", "");
    std::fs::remove_file(faq.path().join("shelters.yaml")).unwrap();
    let plain = LineServer::start_with(|s| s.faq_dir = faq.path().to_path_buf()).await;
    assert_eq!(
        plain.deliver(&fixture("location.json")).await,
        StatusCode::OK
    );
    let replies = plain.replies(1).await;
    assert!(
        texts(&replies[0]).contains("文字のメッセージにだけ"),
        "{}",
        texts(&replies[0])
    );
}

#[tokio::test]
async fn a_resident_who_asks_for_easy_japanese_gets_it_in_line() {
    let server = LineServer::start().await;
    let engine = common::demo_engine();
    let easy = engine
        .content()
        .entry("gomi-bunbetsu")
        .and_then(|e| e.easy.clone())
        .expect("the demo writes easy: for it");
    assert_eq!(
        server
            .deliver(&body(vec![text_event("やさしい日本語", USER, 1)]))
            .await,
        StatusCode::OK
    );
    assert!(texts(&server.replies(1).await[0]).contains("やさしい日本語でこたえます"));
    assert_eq!(
        server
            .deliver(&body(vec![text_event("ごみの分け方を教えて", USER, 2)]))
            .await,
        StatusCode::OK
    );
    let answer = texts(&server.replies(2).await[1]);
    assert!(answer.contains(easy.lines().next().unwrap()), "{answer}");
}

#[tokio::test]
async fn a_resident_whose_line_is_in_english_is_answered_in_english() {
    let server = LineServer::start().await;
    let english_user = "U0000000000000000000000000000e001";
    server.api.set_language(english_user, "en");
    assert_eq!(
        server
            .deliver(&body(vec![text_event(
                "How can I apply for a My Number Card?",
                english_user,
                1
            )]))
            .await,
        StatusCode::OK
    );
    let replies = server.replies(1).await;
    let answer = texts(&replies[0]);
    assert!(
        answer.contains("You can apply for a My Number Card online"),
        "{answer}"
    );
    // The card's own words are English too.
    assert!(answer.contains("[Contact]Citizens Division"), "{answer}");
    let labels: Vec<Value> = card_actions(&replies[0])
        .iter()
        .map(|a| a["label"].clone())
        .collect();
    for label in ["Call", "Helpful", "Not helpful"] {
        assert!(labels.contains(&json!(label)), "{label}: {labels:?}");
    }
    // The profile is asked once: the conversation keeps the language.
    assert_eq!(
        server
            .deliver(&body(vec![text_event("garbage", english_user, 4)]))
            .await,
        StatusCode::OK
    );
    server.replies(2).await;
    assert_eq!(server.api.profile_calls(), 1);

    // Adding the account as a friend: welcomed in English.
    let newcomer = "U0000000000000000000000000000e002";
    server.api.set_language(newcomer, "en");
    let mut follow = fixture("follow.json");
    follow["events"][0]["source"]["userId"] = json!(newcomer);
    assert_eq!(server.deliver(&follow).await, StatusCode::OK);
    let welcome = texts(&server.replies(3).await[2]);
    assert_eq!(server.api.profile_calls(), 2);
    assert!(
        welcome.starts_with("Thank you for adding us as a friend.\nI answer frequent questions"),
        "{welcome}"
    );
    // A Japanese profile: Japanese as always.
    assert_eq!(
        server
            .deliver(&body(vec![text_event(
                "マイナンバーカードを申請したい",
                USER,
                3
            )]))
            .await,
        StatusCode::OK
    );
    let answer = texts(&server.replies(4).await[3]);
    assert!(answer.contains("オンライン申請"), "{answer}");
}
