//! Handing conversations to staff, black-box: the server on a random
//! loopback port judging office hours at a fixed instant, the LINE API
//! stand-in, staff's chat tool as a webhook receiver on 127.0.0.1, and staff
//! working through the inbox pages.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use common::line_api::LineApi;
use madoguchi::config::{HandoffWebhook, Role};
use madoguchi::hours::Clock;
use madoguchi::server::Application;
use serde_json::{Value, json};

const SECRET: &str = "handoff-channel-secret";
const TOKEN: &str = "handoff-access-token";
const STAFF: &str = "soumu";
const PASSWORD: &str = "窓口-handoff-2026";
const WAIT: Duration = Duration::from_secs(20);
/// Wednesday 2 December 2026, 10:00 in Japan: the counters are open.
const OPEN: &str = "2026-12-02T01:00:00Z";
/// The same day at 22:00 in Japan: closed.
const CLOSED: &str = "2026-12-02T13:00:00Z";

/// Staff's chat tool: answers 500 to the first `failures` notices.
struct Receiver {
    address: SocketAddr,
    received: Arc<Mutex<Vec<(u16, Value)>>>,
}

impl Receiver {
    fn start(failures: usize) -> Receiver {
        let received: Arc<Mutex<Vec<(u16, Value)>>> = Arc::default();
        let shared = received.clone();
        let server = HttpServer::new(move || {
            let shared = shared.clone();
            App::new().route(
                "/hook",
                web::post().to(move |body: web::Json<Value>| {
                    let shared = shared.clone();
                    async move {
                        let mut received = shared.lock().unwrap();
                        let status = if received.len() < failures { 500 } else { 200 };
                        received.push((status, body.into_inner()));
                        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                            .finish()
                    }
                }),
            )
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let address = server.addrs()[0];
        tokio::spawn(server.run());
        Receiver { address, received }
    }

    /// Waits for `count` notices (answered or refused).
    async fn wait_for(&self, count: usize) -> Vec<(u16, Value)> {
        let deadline = Instant::now() + WAIT;
        loop {
            let received = self.received.lock().unwrap().clone();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} notices",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

struct City {
    address: SocketAddr,
    api: LineApi,
    client: reqwest::Client,
    session: String,
    _data: tempfile::TempDir,
}

impl City {
    async fn start(at: &str, hook: Option<&Receiver>) -> City {
        City::start_with(at, hook, &["somu"]).await
    }

    /// A city whose `departments` take handoffs.
    async fn start_with(at: &str, hook: Option<&Receiver>, departments: &[&str]) -> City {
        let api = LineApi::start(TOKEN);
        let data = tempfile::tempdir().unwrap();
        let mut settings = common::settings(data.path());
        settings.line.channel_secret = Some(SECRET.into());
        settings.line.channel_access_token = Some(TOKEN.into());
        settings.line.api_base = api.base();
        settings.line.loading_after_ms = 60_000;
        settings.admin.users = common::staff(&[(STAFF, Role::Approver)], PASSWORD);
        settings.handoff.departments = departments.iter().map(|d| d.to_string()).collect();
        settings.handoff.notice_backoff_ms = 20;
        settings.handoff.admin_url = "https://chat.example.jp".into();
        if let Some(hook) = hook {
            settings.handoff.webhooks = vec![HandoffWebhook {
                department: "somu".into(),
                url: format!("http://{}/hook", hook.address),
            }];
        }
        let clock = Clock::fixed(at.parse().unwrap());
        let app = Application::build_with_clock(settings, clock).expect("server starts");
        let address = app.address();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let session = common::sign_in(&client, &format!("http://{address}"), STAFF, PASSWORD).await;
        City {
            address,
            api,
            client,
            session,
            _data: data,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    async fn deliver(&self, event: Value) {
        let body = json!({ "destination": "Ubot", "events": [event] });
        let status = common::deliver_line(&self.client, &self.url(), SECRET, &body).await;
        assert_eq!(status, 200);
    }

    /// A resident's text; waits until the event is handled and returns
    /// the reply, if the bot gave one.
    async fn says(&self, user: &str, n: usize, text: &str) -> Option<Value> {
        self.event(user, n, json!({ "type": "message", "message": { "type": "text", "id": format!("m{n}"), "text": text } }))
            .await
    }

    async fn taps(&self, user: &str, n: usize, data: &str) -> Option<Value> {
        self.event(
            user,
            n,
            json!({ "type": "postback", "postback": { "data": data } }),
        )
        .await
    }

    async fn event(&self, user: &str, n: usize, mut event: Value) -> Option<Value> {
        let replies_before = self.replies().len();
        event["mode"] = json!("active");
        event["timestamp"] = json!(1_764_637_200_000u64 + n as u64);
        event["webhookEventId"] = json!(format!("01HANDOFF{n:06}"));
        event["deliveryContext"] = json!({ "isRedelivery": false });
        event["source"] = json!({ "type": "user", "userId": user });
        event["replyToken"] = json!(format!("token-{n}"));
        self.deliver(event).await;
        self.settled(n).await;
        self.replies().into_iter().nth(replies_before)
    }

    fn replies(&self) -> Vec<Value> {
        self.api
            .received()
            .into_iter()
            .filter(|r| r.endpoint == "reply")
            .map(|r| r.body)
            .collect()
    }

    /// Waits until `handled` events are handled.
    async fn settled(&self, handled: usize) {
        let deadline = Instant::now() + WAIT;
        loop {
            let metrics = common::page(&self.client, &format!("{}/metrics", self.url()), "").await;
            let done: usize = metrics
                .lines()
                .filter(|l| l.starts_with("madoguchi_line_events_handled_total"))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<usize>().ok())
                .sum();
            if done >= handled {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{done} of {handled} events handled"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn staff(&self, ticket: i64, form: &[(&str, &str)]) -> (u16, String) {
        let url = format!("{}/admin/inbox/{ticket}", self.url());
        let csrf = common::page_csrf(&self.client, &url, &self.session).await;
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        common::post_form(&self.client, &url, &self.session, &fields).await
    }

    /// Staff reply on the ticket page; the reply is pushed to `resident`
    /// (the first push of the test) with a retry key.
    async fn reply_is_pushed(&self, ticket: i64, resident: &str, text: &str) {
        let (status, _) = self
            .staff(ticket, &[("action", "reply"), ("text", text)])
            .await;
        assert_eq!(status, 303);
        let pushes = self.api.wait_for("push", 1, WAIT).await;
        assert_eq!(pushes[0].body["to"], resident);
        assert!(pushes[0].body["messages"].to_string().contains(text));
        assert!(uuid::Uuid::parse_str(pushes[0].retry_key.as_deref().unwrap()).is_ok());
    }

    /// A JSON POST to the server.
    async fn post(&self, path: &str, body: Value) -> Value {
        common::post_json(&self.client, &format!("{}{path}", self.url()), &body).await
    }

    async fn page(&self, path: &str) -> String {
        common::page(
            &self.client,
            &format!("{}{path}", self.url()),
            &self.session,
        )
        .await
    }
}

/// The texts of a reply's messages, with quick reply labels.
fn texts(reply: &Value) -> String {
    reply["messages"].to_string()
}

/// The choice of a person in a web reply.
fn person_offered(reply: &Value) -> Value {
    reply["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["type"] == "handoff")
        .unwrap_or_else(|| panic!("no person offered: {reply}"))
        .clone()
}

/// The postback data of the quick reply labelled with `label`'s start.
fn quick_reply(reply: &Value, label: &str) -> String {
    reply["messages"].as_array().unwrap().last().unwrap()["quickReply"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no quick replies in {reply}"))
        .iter()
        .map(|i| &i["action"])
        .find(|a| a["label"].as_str().is_some_and(|l| l.starts_with(label)))
        .unwrap_or_else(|| panic!("no 「{label}」 in {reply}"))["data"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn in_office_hours_a_line_resident_talks_to_staff_and_back_to_the_bot() {
    let hook = Receiver::start(2);
    let city = City::start(OPEN, Some(&hook)).await;
    let resident = "U0123456789abcdef0123456789abcdef";

    let offer = city
        .says(resident, 1, "職員と話したい")
        .await
        .expect("a reply");
    let pick = quick_reply(&offer, "職員に相談する（総務課");
    let handed = city.taps(resident, 2, &pick).await.expect("a reply");
    let said = texts(&handed);
    assert!(
        said.contains("マイナンバー、パスワード"),
        "the privacy notice first: {said}"
    );
    assert!(said.contains("おつなぎします"), "{said}");

    // Staff's chat tool is told, after two refusals.
    let notices = hook.wait_for(3).await;
    assert_eq!(
        notices.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    let notice = &notices[2].1;
    assert_eq!(notice["department"], "somu");
    assert_eq!(notice["channel"], "line");
    assert!(
        notice["text"].as_str().unwrap().contains("新しい相談"),
        "{notice}"
    );
    let ticket = notice["ticket"].as_i64().unwrap();
    assert_eq!(
        notice["url"],
        format!("https://chat.example.jp/admin/inbox/{ticket}")
    );
    let inbox = city.page("/admin/inbox").await;
    assert!(
        inbox.contains(&format!("/admin/inbox/{ticket}")) && inbox.contains("対応待ち"),
        "{inbox}"
    );

    // The bot steps aside: the message goes to the ticket, unanswered.
    let before = city.replies().len();
    assert!(
        city.says(resident, 3, "住民票の写しを代理人が取るには")
            .await
            .is_none()
    );
    assert_eq!(city.replies().len(), before);
    let page = city.page(&format!("/admin/inbox/{ticket}")).await;
    assert!(page.contains("住民票の写しを代理人が取るには"), "{page}");
    assert!(
        page.contains("職員と話したい"),
        "the conversation before: {page}"
    );

    // Staff reply: pushed with a retry key.
    city.reply_is_pushed(ticket, resident, "委任状があれば取れます。")
        .await;
    assert!(
        city.page(&format!("/admin/inbox/{ticket}"))
            .await
            .contains("対応中")
    );

    // Closing hands the resident back to the bot.
    let (status, location) = city
        .staff(ticket, &[("action", "close"), ("entry", "juminhyo-proxy")])
        .await;
    assert_eq!((status, location.as_str()), (303, "/admin/inbox"));
    let pushes = city.api.wait_for("push", 2, WAIT).await;
    assert!(
        pushes[1].body["messages"]
            .to_string()
            .contains("職員との相談を終了しました")
    );
    let answer = city
        .says(resident, 4, "コンビニで住民票を取りたい")
        .await
        .expect("the bot answers");
    assert!(texts(&answer).contains("コンビニ"), "{answer}");

    let csv = city.page("/admin/export/handoffs.csv").await;
    assert!(
        csv.contains("juminhyo-proxy") && csv.contains("staff"),
        "{csv}"
    );
    let dashboard = city.page("/admin").await;
    assert!(
        dashboard.contains("職員への相談（この30日間）"),
        "{dashboard}"
    );
    assert!(dashboard.contains("送信 1 件"), "{dashboard}");
}

#[tokio::test]
async fn outside_office_hours_a_message_is_left_and_answered_by_push() {
    let city = City::start(CLOSED, None).await;
    let resident = "Ufedcba9876543210fedcba9876543210";
    let offer = city
        .says(resident, 1, "職員と話したい")
        .await
        .expect("a reply");
    let pick = quick_reply(&offer, "メッセージを残す（総務課");
    let handed = city.taps(resident, 2, &pick).await.expect("a reply");
    assert!(texts(&handed).contains("閉庁時間"), "{handed}");
    assert!(
        city.says(resident, 3, "転出届の郵送について教えてください")
            .await
            .is_none()
    );
    let inbox = city.page("/admin/inbox").await;
    assert!(inbox.contains("閉庁時間のメッセージ"), "{inbox}");
    let marker = "/admin/inbox/";
    let start = inbox.find(marker).unwrap() + marker.len();
    let ticket: i64 = inbox[start..].split('"').next().unwrap().parse().unwrap();

    city.reply_is_pushed(ticket, resident, "郵送で受け付けます。")
        .await;
}

#[tokio::test]
async fn on_the_website_staff_replies_reach_the_waiting_widget_and_back_to_the_bot_ends_it() {
    let city = City::start(OPEN, None).await;
    let chat = |body: Value| city.post("/api/v1/chat", body);
    let offer = chat(json!({ "session_id": "web-resident-1", "text": "人と話したい" })).await;
    let person = person_offered(&offer);
    let handed = chat(json!({ "session_id": "web-resident-1", "choice": person["value"] })).await;
    assert_eq!(handed["ticket"]["state"], "waiting", "{handed}");
    let ticket = handed["ticket"]["id"].as_i64().unwrap();
    let sent =
        chat(json!({ "session_id": "web-resident-1", "text": "児童手当の振込日を知りたい" })).await;
    assert_eq!(sent["ticket"]["to_staff"], true, "{sent}");

    // The widget waits; staff reply; the waiting request gets it.
    let (client, url) = (city.client.clone(), city.url());
    let news = move |after: i64| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            client
                .get(format!(
                    "{url}/api/v1/handoff?session_id=web-resident-1&after={after}"
                ))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    // Asking again after each piece of news (staff taking it comes first).
    let waiting = tokio::spawn({
        let news = news.clone();
        async move {
            let (mut after, mut shown, mut state) = (0, Vec::new(), Value::Null);
            while !shown.iter().any(|m: &String| m.contains("10日です")) {
                let got = news(after).await;
                state = got["ticket"]["state"].clone();
                for message in got["messages"].as_array().unwrap() {
                    after = message["id"].as_i64().unwrap();
                    shown.push(message["text"].as_str().unwrap().to_string());
                }
            }
            (after, shown, state)
        }
    });
    let (status, _) = city
        .staff(
            ticket,
            &[
                ("action", "reply"),
                ("text", "毎年2月・4月・6月…の10日です。"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (last, shown, state) = tokio::time::timeout(WAIT, waiting).await.unwrap().unwrap();
    assert!(
        shown.contains(&"毎年2月・4月・6月…の10日です。".to_string()),
        "{shown:?}"
    );
    assert!(
        !shown.iter().any(|m| m.contains("児童手当の振込日")),
        "the resident's own are not echoed: {shown:?}"
    );
    assert_eq!(state, "open");

    let back = chat(json!({ "session_id": "web-resident-1", "text": "ボットに戻る" })).await;
    assert!(back.get("ticket").is_none(), "{back}");
    assert_eq!(back["kind"], "rule", "the menu: {back}");
    let ended = news(last).await;
    assert_eq!(ended["ticket"]["state"], "closed", "{ended}");
}

#[tokio::test]
async fn a_resident_who_reads_english_is_handed_over_and_back_in_english() {
    let city = City::start(OPEN, None).await;
    let session = "web-resident-en";
    let chat = |body: Value| city.post("/api/v1/chat", body);
    let offer =
        chat(json!({ "session_id": session, "text": "I want to talk to staff", "lang": "en" }))
            .await;
    assert!(
        offer["text"]
            .as_str()
            .unwrap()
            .starts_with("A staff member will answer."),
        "the rule's English reply: {offer}"
    );
    let person = person_offered(&offer);
    assert!(
        person["label"]
            .as_str()
            .unwrap()
            .starts_with("Talk to staff (General Affairs Division"),
        "{person}"
    );
    let handed = chat(json!({ "session_id": session, "choice": person["value"] })).await;
    assert!(
        handed["text"]
            .as_str()
            .unwrap()
            .contains("We are connecting you to the staff of"),
        "{handed}"
    );
    let ticket = handed["ticket"]["id"].as_i64().unwrap();
    let sent =
        chat(json!({ "session_id": session, "text": "When is the child allowance paid?" })).await;
    assert_eq!(sent["text"], "Sent to the staff.", "{sent}");

    let (status, _) = city.staff(ticket, &[("action", "close")]).await;
    assert_eq!(status, 303);
    let news = city
        .client
        .get(format!(
            "{}/api/v1/handoff?session_id={session}&after=0",
            city.url()
        ))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(news["ticket"]["state"], "closed", "{news}");
    let said: Vec<&str> = news["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert!(
        said.contains(&"The conversation with staff has ended. The bot will answer from here."),
        "{said:?}"
    );
}

#[tokio::test]
async fn a_second_unhelpful_answer_offers_a_person() {
    let city = City::start(OPEN, None).await;
    let post = |path: &'static str, body: Value| city.post(path, body);
    let offers_a_person = |reply: &Value| {
        reply["choices"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["value"]["type"] == "handoff"))
    };
    let session = "web-resident-2";
    let answer = post(
        "/api/v1/chat",
        json!({ "session_id": session, "text": "コンビニで住民票を取りたい" }),
    )
    .await;
    assert_eq!(answer["kind"], "answer", "{answer}");
    assert!(!offers_a_person(&answer));
    let unhelpful = |reply: &Value| json!({ "reply_id": reply["reply_id"], "helpful": false, "session_id": session });
    let first = post("/api/v1/feedback", unhelpful(&answer)).await;
    assert!(!offers_a_person(&first), "not after the first: {first}");
    let picked = first["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["type"] == "entry")
        .expect("another candidate")
        .clone();
    let second_answer = post(
        "/api/v1/chat",
        json!({ "session_id": session, "choice": picked["value"] }),
    )
    .await;
    let second = post("/api/v1/feedback", unhelpful(&second_answer)).await;
    assert!(offers_a_person(&second), "after the second: {second}");
}

#[tokio::test]
async fn when_the_question_names_no_department_that_takes_handoffs_the_resident_picks_one() {
    let city = City::start_with(OPEN, None, &["kosodate", "zeimu"]).await;
    let offer = city
        .post("/api/v1/chat", json!({ "text": "職員と話したい" }))
        .await;
    let offered: Vec<&str> = offer["choices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["value"]["type"] == "handoff")
        .map(|c| c["value"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(offered, ["kosodate", "zeimu"], "{offer}");
}

#[tokio::test]
async fn the_entry_staff_close_a_ticket_with_is_suggested_for_the_unanswered_question() {
    let city = City::start(OPEN, None).await;
    let session = "web-resident-3";
    let question = "宇宙旅行の申し込み方法";
    let fallback = city
        .post(
            "/api/v1/chat",
            json!({ "session_id": session, "text": question }),
        )
        .await;
    assert_eq!(fallback["kind"], "fallback", "{fallback}");
    let person = person_offered(&fallback);
    let handed = city
        .post(
            "/api/v1/chat",
            json!({ "session_id": session, "choice": person["value"] }),
        )
        .await;
    let ticket = handed["ticket"]["id"].as_i64().expect("a ticket");
    let (status, _) = city
        .staff(ticket, &[("action", "close"), ("entry", "online-help")])
        .await;
    assert_eq!(status, 303);
    let review = city.page("/admin/unanswered").await;
    let group = review.find(question).expect("the question is under review");
    let first_option = review[group..]
        .split("<option value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert_eq!(first_option, "online-help", "{review}");
    assert!(review.contains("職員が相談で答えた回答"));
}
