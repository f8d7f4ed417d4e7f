//! Two `madoguchi serve` replicas on one PostgreSQL database, behind a real
//! nginx balancing round robin, as a city runs them when one process is not
//! enough: a resident's conversation, a LINE event's redelivery and a staff
//! session each behave as if there were one server.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::line_api::LineApi;
use madoguchi::channels::line::signature;
use serde_json::{Value, json};

const SECRET: &str = "replica-channel-secret";
const TOKEN: &str = "replica-access-token";
const PASSWORD: &str = "窓口-replicas-2026";
const WAIT: Duration = Duration::from_secs(20);
const SIGN_INS_PER_MINUTE: usize = 5;

/// A replica: its process and URL (`http://127.0.0.1:PORT`), with a
/// content directory of its own, as on a server of its own.
struct Replica {
    child: Child,
    url: String,
    faq: common::FaqCopy,
    data: tempfile::TempDir,
    /// How it was started, to start it again.
    env: Vec<(String, String)>,
}

impl Replica {
    /// Starts `madoguchi serve` configured by the environment only, as an
    /// operator's unit file would, on the shared database, with `env` on
    /// top.
    fn start_with(
        database_url: &str,
        line_api: &str,
        password_hash: &str,
        env: &[(&str, &str)],
    ) -> Replica {
        let mut env: Vec<(String, String)> = [
            ("MADOGUCHI_BIND", "127.0.0.1:0"),
            ("MADOGUCHI_DATABASE_URL", database_url),
            ("MADOGUCHI_TRUSTED_PROXIES", "127.0.0.1"),
            ("MADOGUCHI_LINE_CHANNEL_SECRET", SECRET),
            ("MADOGUCHI_LINE_CHANNEL_ACCESS_TOKEN", TOKEN),
            ("MADOGUCHI_LINE_API_BASE", line_api),
            ("MADOGUCHI_LINE_LOADING_AFTER_MS", "60000"),
            ("MADOGUCHI_ADMIN_USER", "staff"),
            ("MADOGUCHI_ADMIN_PASSWORD_HASH", password_hash),
            ("MADOGUCHI_ADMIN_SECURE_COOKIE", "false"),
        ]
        .iter()
        .chain(env)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.push((
            "MADOGUCHI_ADMIN_SIGN_INS_PER_MINUTE".into(),
            SIGN_INS_PER_MINUTE.to_string(),
        ));
        let data = tempfile::tempdir().unwrap();
        let faq = common::FaqCopy::new();
        let (child, url) = spawn(&env, data.path(), faq.path());
        Replica {
            child,
            url,
            faq,
            data,
            env,
        }
    }

    /// Kills the process (SIGKILL), as a crash would.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Stops it with SIGTERM, as systemd does, and waits for it to exit;
    /// true if it exited cleanly.
    fn stop(&mut self) -> bool {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        self.child.wait().unwrap().success()
    }

    /// Starts it again on the same address, data and content.
    fn restart(&mut self) {
        let mut env = self.env.clone();
        env.push(("MADOGUCHI_BIND".into(), self.address().to_string()));
        let (child, url) = spawn(&env, self.data.path(), self.faq.path());
        assert_eq!(url, self.url);
        self.child = child;
    }

    fn address(&self) -> std::net::SocketAddr {
        self.url.trim_start_matches("http://").parse().unwrap()
    }
}

/// Starts `madoguchi serve` configured by the environment only, as an
/// operator's unit file would; returns it and its URL.
fn spawn(
    env: &[(String, String)],
    data: &std::path::Path,
    faq: &std::path::Path,
) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .current_dir(common::root())
        .arg("serve")
        .env_remove("MADOGUCHI_CONFIG")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("MADOGUCHI_DATA_DIR", data)
        .env("MADOGUCHI_FAQ_DIR", faq)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("serving on ")
        .unwrap_or_else(|| panic!("the address is printed, not {line:?}"))
        .trim_end_matches('/')
        .to_string();
    (child, url)
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What every test here starts from: a new database in the test cluster,
/// the LINE stand-in, and the staff password's hash.
struct Setup {
    database_url: String,
    api: LineApi,
    hash: String,
}

impl Setup {
    /// `None` where PostgreSQL is missing outside CI.
    async fn new() -> Option<Setup> {
        let database_url = tokio::task::spawn_blocking(common::postgres::database)
            .await
            .unwrap()?;
        Some(Setup {
            database_url,
            api: LineApi::start(TOKEN),
            hash: madoguchi::admin::auth::hash_password(PASSWORD).unwrap(),
        })
    }

    /// A replica on the database.
    fn replica(&self) -> Replica {
        self.replica_with(&[])
    }

    /// A replica with more settings in the environment.
    fn replica_with(&self, env: &[(&str, &str)]) -> Replica {
        Replica::start_with(&self.database_url, &self.api.base(), &self.hash, env)
    }
}

/// A store on the replicas' database, as a tool would open it.
fn open_store(url: &str) -> madoguchi::store::Store {
    common::postgres::store(url)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn chat(client: &reqwest::Client, url: &str, session: &str, text: &str) -> Value {
    let response = client
        .post(format!("{url}/api/v1/chat"))
        .json(&json!({ "session_id": session, "text": text }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A signed webhook delivery of one text event.
async fn deliver(client: &reqwest::Client, url: &str, event_id: &str, text: &str) -> u16 {
    let body = serde_json::to_vec(&json!({
        "destination": "Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "events": [{
            "type": "message",
            "mode": "active",
            "timestamp": 1_767_225_600_000_u64,
            "source": { "type": "user", "userId": "U4af4980629a0c2f8d6e1f7b1c5a3e7d9" },
            "webhookEventId": event_id,
            "deliveryContext": { "isRedelivery": false },
            "replyToken": format!("token-{event_id}"),
            "message": { "id": "1", "type": "text", "quoteToken": "q", "text": text }
        }]
    }))
    .unwrap();
    client
        .post(format!("{url}/webhooks/line"))
        .header("content-type", "application/json")
        .header("x-line-signature", signature::sign(SECRET, &body))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A replica's `/metrics`.
async fn metrics(client: &reqwest::Client, url: &str) -> String {
    common::page(client, &format!("{url}/metrics"), "").await
}

/// The sum of a metric's series whose line contains `filter`.
async fn metric(client: &reqwest::Client, url: &str, name: &str, filter: &str) -> u64 {
    metrics(client, url)
        .await
        .lines()
        .filter(|l| l.starts_with(name) && l.contains(filter))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Signs in through `url` as the staff of these tests.
async fn sign_in(client: &reqwest::Client, url: &str) -> String {
    common::sign_in(client, url, "staff", PASSWORD).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgresql_behave_as_one_server() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let (database_url, api) = (&setup.database_url, &setup.api);
    let (a, b) = (setup.replica(), setup.replica());
    let client = client();

    // A conversation started on A continues on B: 「2」 picks the second
    // choice A offered.
    let offered = chat(&client, &a.url, "resident-1", "引っ越し").await;
    assert!(
        offered["choices"].as_array().unwrap().len() >= 2,
        "{offered}"
    );
    let picked = chat(&client, &b.url, "resident-1", "2").await;
    let tapped: Value = client
        .post(format!("{}/api/v1/chat", a.url))
        .json(&json!({ "session_id": "resident-3", "choice": offered["choices"][1]["value"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&picked["kind"], &picked["text"]),
        (&tapped["kind"], &tapped["text"]),
        "「2」 on B is the second choice A offered"
    );
    // Without the shared conversation, 「2」 means nothing to B.
    let stranger = chat(&client, &b.url, "resident-2", "2").await;
    assert_ne!(stranger["text"], picked["text"], "{stranger}");

    // One LINE event delivered to A and redelivered to B is answered once.
    assert_eq!(deliver(&client, &a.url, "EVREPLICA1", "住民票").await, 200);
    assert_eq!(deliver(&client, &b.url, "EVREPLICA1", "住民票").await, 200);
    let deadline = Instant::now() + WAIT;
    loop {
        let handled = metric(&client, &a.url, "madoguchi_line_events_handled_total", "").await
            + metric(&client, &b.url, "madoguchi_line_events_handled_total", "").await;
        let duplicates = metric(&client, &a.url, "madoguchi_line_events_total", "duplicate").await
            + metric(&client, &b.url, "madoguchi_line_events_total", "duplicate").await;
        if handled == 1 && duplicates == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "handled {handled}, duplicates {duplicates}"
        );
        tokio::task::yield_now().await;
    }
    let replies: Vec<_> = api
        .received()
        .into_iter()
        .filter(|r| r.endpoint == "reply")
        .collect();
    assert_eq!(replies.len(), 1, "{:?}", api.attempts());

    // Staff signed in through A are signed in on B, and signed out on both.
    let session = sign_in(&client, &a.url).await;
    let dashboard = |url: String, session: String| {
        let client = client.clone();
        async move {
            client
                .get(format!("{url}/admin"))
                .header("cookie", session)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(dashboard(b.url.clone(), session.clone()).await, 200);
    assert_eq!(
        dashboard(b.url.clone(), "madoguchi_admin=made-up".into()).await,
        303,
        "an unknown session goes to the sign-in form"
    );

    // Sign-in attempts from one address count on both replicas: after the
    // sign-in above, the next four (alternating) are taken, the fifth not.
    let attempt = |url: String| {
        let client = client.clone();
        async move {
            client
                .post(format!("{url}/admin/login"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("user=staff&password=wrong&csrf=none")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for i in 1..SIGN_INS_PER_MINUTE {
        let url = if i % 2 == 0 { &a.url } else { &b.url };
        assert_ne!(attempt(url.clone()).await, 429, "attempt {i}");
    }
    assert_eq!(attempt(a.url.clone()).await, 429);
    assert_eq!(attempt(b.url.clone()).await, 429);

    // Through nginx, round robin over both: every answer is logged once,
    // in the one database, whichever replica gave it.
    let Some(nginx) = common::nginx::Nginx::start(&[a.address(), b.address()]) else {
        return;
    };
    let front = format!("http://{}", nginx.address);
    let before_a = metric(&client, &a.url, "madoguchi_decisions_total", "web").await;
    let before_b = metric(&client, &b.url, "madoguchi_decisions_total", "web").await;
    for i in 0..10 {
        let reply = chat(&client, &front, &format!("front-{i}"), "住民票").await;
        assert_eq!(reply["kind"], "answer", "{reply}");
    }
    let served_a = metric(&client, &a.url, "madoguchi_decisions_total", "web").await - before_a;
    let served_b = metric(&client, &b.url, "madoguchi_decisions_total", "web").await - before_b;
    assert_eq!(served_a + served_b, 10);
    assert!(
        served_a > 0 && served_b > 0,
        "round robin: {served_a} and {served_b}"
    );
    let export = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["logs", "export"])
        .env("MADOGUCHI_DATABASE_URL", database_url)
        .env_remove("MADOGUCHI_CONFIG")
        .current_dir(common::root())
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    let csv = String::from_utf8(export.stdout).unwrap();
    let logged = csv.lines().filter(|l| l.contains(",住民票,")).count();
    assert_eq!(logged, 11, "ten through nginx and one from LINE:\n{csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_acknowledged_by_a_replica_that_dies_is_answered_by_another() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let api = &setup.api;
    // A waits a minute before it tries a failed reply again: it holds the
    // event, acknowledged and unanswered, when it is killed.
    let mut a = setup.replica_with(&[("MADOGUCHI_LINE_INITIAL_BACKOFF_MS", "60000")]);
    let b = setup.replica();
    let client = client();
    api.fail_next(&[common::line_api::Failure::ServerError]);
    assert_eq!(deliver(&client, &a.url, "EVDYING1", "住民票").await, 200);
    let deadline = Instant::now() + WAIT;
    while api.attempts().is_empty() {
        assert!(Instant::now() < deadline, "A never tried to reply");
        tokio::task::yield_now().await;
    }
    a.kill();

    let replies = api.wait_for("reply", 1, WAIT).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].body["replyToken"], "token-EVDYING1");
    assert_eq!(
        api.attempts(),
        [("reply", 500), ("reply", 200)],
        "answered once, by B"
    );
    // B counts the event handled once its reply call returns.
    let deadline = Instant::now() + WAIT;
    while metric(&client, &b.url, "madoguchi_line_events_handled_total", "").await != 1 {
        assert!(Instant::now() < deadline, "B did not count the event");
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_published_on_one_replica_is_served_by_the_other() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let (a, b) = (setup.replica(), setup.replica());
    let client = client();
    let question = "宇宙旅行の申し込み";
    for replica in [&a, &b] {
        let reply = chat(&client, &replica.url, "visitor", question).await;
        assert_eq!(reply["kind"], "fallback", "{reply}");
    }

    // On A, staff add the question as a phrasing of an answer and publish.
    let session = sign_in(&client, &a.url).await;
    let unanswered = common::page(&client, &format!("{}/admin/unanswered", a.url), &session).await;
    let marker = "data-key=\"";
    let start = unanswered.find(marker).expect("an unanswered group") + marker.len();
    let key = unanswered[start..].split('"').next().unwrap().to_string();
    let csrf = common::page_csrf(&client, &format!("{}/admin", a.url), &session).await;
    let (status, location) = common::post_form(
        &client,
        &format!("{}/admin/unanswered/phrasing", a.url),
        &session,
        &[("csrf", &csrf), ("key", &key), ("entry_id", "conveni-what")],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let draft = location.strip_prefix("/admin/drafts/").expect("a draft");
    let (status, location) = common::post_form(
        &client,
        &format!("{}/admin/drafts/{draft}/publish", a.url),
        &session,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        (status, location.contains("published")),
        (303, true),
        "{location}"
    );
    let answered = chat(&client, &a.url, "visitor", question).await;
    assert_eq!(answered["entry_id"], "conveni-what", "{answered}");

    // B follows within seconds: the same content version (on /metrics),
    // its own files changed, and the answer.
    let version = |url: String| {
        let client = client.clone();
        async move {
            metrics(&client, &url)
                .await
                .lines()
                .find(|l| l.starts_with("madoguchi_content_info"))
                .unwrap()
                .to_string()
        }
    };
    let published = version(a.url.clone()).await;
    let deadline = Instant::now() + WAIT;
    while version(b.url.clone()).await != published {
        assert!(Instant::now() < deadline, "B still serves the old content");
        tokio::task::yield_now().await;
    }
    let reply = chat(&client, &b.url, "visitor", question).await;
    assert_eq!(reply["entry_id"], "conveni-what", "{reply}");
    let file = "certificates.yaml";
    assert_eq!(
        std::fs::read_to_string(b.faq.path().join(file)).unwrap(),
        std::fs::read_to_string(a.faq.path().join(file)).unwrap()
    );

    // A replica started later catches up before it serves.
    let c = setup.replica();
    let reply = chat(&client, &c.url, "visitor", question).await;
    assert_eq!(reply["entry_id"], "conveni-what", "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_unreachable_residents_are_answered_and_readyz_says_503() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let database_url = setup.database_url.clone();
    let a = setup.replica();
    let client = client();
    let ready = |client: reqwest::Client, url: String| async move {
        let response = client.get(format!("{url}/readyz")).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    assert_eq!(ready(client.clone(), a.url.clone()).await.0, 200);

    // The database refuses connections and drops the replica's.
    let (name, admin_url) = {
        let without_options = database_url.split('?').next().unwrap();
        let (rest, name) = without_options.rsplit_once('/').unwrap();
        (name.to_string(), format!("{rest}/postgres"))
    };
    let admin = |sql: String| {
        let url = admin_url.clone();
        tokio::task::spawn_blocking(move || {
            let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            admin.batch_execute(&sql).unwrap();
        })
    };
    admin(format!(
        "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false;
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
    ))
    .await
    .unwrap();
    let (status, body) = ready(client.clone(), a.url.clone()).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("database"), "{body}");
    // A resident is still answered; the record waits in memory.
    let reply = chat(&client, &a.url, "during-outage", "住民票").await;
    assert_eq!(reply["kind"], "answer", "{reply}");
    let reply_id = reply["reply_id"].as_str().unwrap().to_string();

    admin(format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, body) = ready(client.clone(), a.url.clone()).await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still not ready: {body}");
        tokio::task::yield_now().await;
    }
    // Ready means nothing is left to write: the answer is in the log.
    let store = tokio::task::spawn_blocking(move || open_store(&database_url))
        .await
        .unwrap();
    let logged = tokio::task::spawn_blocking(move || store.record_feedback(&reply_id, true))
        .await
        .unwrap()
        .unwrap();
    assert!(logged, "the answer given during the outage is in the log");
}

/// One chat request of the load: when it was sent (relative to the
/// start), its status through nginx, and the reply's id when answered.
struct Sent {
    at: Duration,
    status: u16,
    reply_id: Option<String>,
}

/// What the residents of a load did: their requests, and the LINE events
/// delivered with the webhook's status.
struct Done {
    sent: Vec<Sent>,
    events: Vec<(String, u16)>,
}

/// Eight residents asking through `front` without a pause, and LINE
/// delivering an event whenever one of them has been answered ten times.
/// Each request on a connection of its own: reloading nginx closes its idle
/// connections to clients, which can race a client reusing one (a browser
/// would send again; these clients would not).
struct Load {
    started: Instant,
    answered: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    residents: Vec<tokio::task::JoinHandle<Done>>,
}

impl Load {
    fn start(front: &str, name: &str) -> Load {
        let started = Instant::now();
        let answered = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let residents = (0..8)
            .map(|r| {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(0)
                    .build()
                    .unwrap();
                let (front, answered, stop) = (front.to_string(), answered.clone(), stop.clone());
                let (session, event) = (format!("{name}-{r}"), format!("EV{name}{r}x"));
                tokio::spawn(async move {
                    let mut done = Done {
                        sent: Vec::new(),
                        events: Vec::new(),
                    };
                    while !stop.load(Ordering::Relaxed) {
                        let at = started.elapsed();
                        let response = client
                            .post(format!("{front}/api/v1/chat"))
                            .json(&json!({ "session_id": session, "text": "住民票" }))
                            .send()
                            .await
                            .unwrap();
                        let status = response.status().as_u16();
                        let reply_id = if status == 200 {
                            let reply: Value = response.json().await.unwrap();
                            answered.fetch_add(1, Ordering::Relaxed);
                            reply["reply_id"].as_str().map(String::from)
                        } else {
                            None
                        };
                        done.sent.push(Sent {
                            at,
                            status,
                            reply_id,
                        });
                        if done.sent.len().is_multiple_of(10) {
                            let id = format!("{event}{}", done.sent.len());
                            let status = deliver(&client, &front, &id, "印鑑登録").await;
                            done.events.push((id, status));
                        }
                    }
                    done
                })
            })
            .collect();
        Load {
            started,
            answered,
            stop,
            residents,
        }
    }

    /// Returns once `more` requests than now have been answered.
    async fn answered_more(&self, more: usize) {
        let count = self.answered.load(Ordering::Relaxed) + more;
        let deadline = Instant::now() + WAIT;
        while self.answered.load(Ordering::Relaxed) < count {
            assert!(Instant::now() < deadline, "the load stalled");
            tokio::task::yield_now().await;
        }
    }

    async fn finish(self) -> Done {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Done {
            sent: Vec::new(),
            events: Vec::new(),
        };
        for resident in self.residents {
            let done = resident.await.unwrap();
            all.sent.extend(done.sent);
            all.events.extend(done.events);
        }
        all
    }
}

impl Done {
    /// Checks that every reply a resident got is in the log.
    async fn assert_logged(&self, database_url: &str) {
        let ids: Vec<String> = self
            .sent
            .iter()
            .filter_map(|s| s.reply_id.clone())
            .collect();
        let url = database_url.to_string();
        let missing = tokio::task::spawn_blocking(move || {
            let store = open_store(&url);
            ids.iter()
                .filter(|id| !store.record_feedback(id, true).unwrap())
                .count()
        })
        .await
        .unwrap();
        assert_eq!(missing, 0, "answers given are missing from the log");
    }

    /// Delivers again, as LINE would, the events not acknowledged; then
    /// checks that each event was answered exactly once: one accepted reply
    /// per event, and no push. A replica killed between answering and
    /// taking the event off the queue leaves it to another, whose reply
    /// LINE refuses (the token is used): refused replies are allowed when
    /// `refused_replies` says so.
    async fn assert_events_answered_once(
        &mut self,
        front: &str,
        api: &LineApi,
        refused_replies: bool,
    ) {
        let client = client();
        for (id, status) in &mut self.events {
            while *status != 200 {
                *status = deliver(&client, front, id, "印鑑登録").await;
            }
        }
        let replies = api.wait_for("reply", self.events.len(), WAIT).await;
        let mut tokens: Vec<String> = replies
            .iter()
            .map(|r| r.body["replyToken"].as_str().unwrap().to_string())
            .collect();
        tokens.sort();
        let mut expected: Vec<String> = self
            .events
            .iter()
            .map(|(id, _)| format!("token-{id}"))
            .collect();
        expected.sort();
        assert_eq!(tokens, expected, "each event answered once");
        let allowed = |(endpoint, status): &(&str, u16)| {
            *status == 200 || (refused_replies && *endpoint == "reply" && *status == 400)
        };
        assert!(
            api.attempts().iter().all(allowed),
            "a call that could be a second answer: {:?}",
            api.attempts()
        );
    }
}

/// Two replicas with the per-client limit lifted (all the load comes from
/// one address), behind nginx; `None` where nginx is missing outside CI.
fn two_behind_nginx(setup: &Setup) -> Option<(Replica, Replica, common::nginx::Nginx)> {
    let lifted = [("MADOGUCHI_WEB_REQUESTS_PER_MINUTE", "100000000")];
    let (a, b) = (setup.replica_with(&lifted), setup.replica_with(&lifted));
    let nginx = common::nginx::Nginx::start(&[a.address(), b.address()])?;
    Some((a, b, nginx))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_a_replica_killed_and_restarted_loses_no_answer_and_no_event() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let Some((mut a, _b, nginx)) = two_behind_nginx(&setup) else {
        return;
    };
    let front = format!("http://{}", nginx.address);
    let load = Load::start(&front, "kill");
    load.answered_more(300).await;
    a.kill();
    // Requests sent before this may have been in flight to A.
    let killed_at = load.started.elapsed();
    load.answered_more(300).await;
    a.restart();
    load.answered_more(300).await;
    let mut done = load.finish().await;

    // Only requests in flight at the kill failed, and no more of them than
    // there were residents.
    let failed: Vec<&Sent> = done.sent.iter().filter(|s| s.status != 200).collect();
    assert!(failed.len() <= 8, "{} failed", failed.len());
    for failure in &failed {
        assert!(
            failure.status >= 500 && failure.at <= killed_at,
            "{} sent {:?} after the kill at {killed_at:?}",
            failure.status,
            failure.at
        );
    }
    done.assert_logged(&setup.database_url).await;
    done.assert_events_answered_once(&front, &setup.api, true)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_upgrade_under_load_fails_no_request_and_loses_no_event() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let Some((mut a, mut b, nginx)) = two_behind_nginx(&setup) else {
        return;
    };
    let nginx = Arc::new(nginx);
    let front = format!("http://{}", nginx.address);
    let load = Load::start(&front, "upgrade");
    // Each replica in turn: drained at nginx, stopped, started again (the
    // upgrade), back in nginx; while residents keep asking.
    for replica in [&mut a, &mut b] {
        load.answered_more(200).await;
        let (balancer, address) = (nginx.clone(), replica.address());
        tokio::task::spawn_blocking(move || balancer.reload_with_down(&[address]))
            .await
            .unwrap();
        assert!(replica.stop(), "a clean exit on SIGTERM");
        replica.restart();
        let balancer = nginx.clone();
        tokio::task::spawn_blocking(move || balancer.reload_with_down(&[]))
            .await
            .unwrap();
    }
    load.answered_more(200).await;
    let mut done = load.finish().await;
    let failed = done.sent.iter().filter(|s| s.status != 200).count();
    assert_eq!(failed, 0, "of {} requests", done.sent.len());
    assert!(done.events.iter().all(|(_, status)| *status == 200));
    done.assert_logged(&setup.database_url).await;
    // A clean stop takes every answered event off the queue first.
    done.assert_events_answered_once(&front, &setup.api, false)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disaster_mode_switched_on_one_replica_reaches_the_other() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let (a, b) = (setup.replica(), setup.replica());
    let client = client();
    let notice = |url: String| {
        let client = client.clone();
        async move { common::disaster_notice(&client, &url).await }
    };
    let switch = |action: &'static str| {
        let (client, url) = (client.clone(), a.url.clone());
        async move {
            let session = sign_in(&client, &url).await;
            let csrf = common::page_csrf(&client, &format!("{url}/admin/disaster"), &session).await;
            common::post_form(
                &client,
                &format!("{url}/admin/disaster"),
                &session,
                &[
                    ("csrf", &csrf),
                    ("action", action),
                    ("notice", "避難指示が出ています"),
                ],
            )
            .await
        }
    };
    let becomes = |on: bool| {
        let url = b.url.clone();
        async move {
            let deadline = Instant::now() + WAIT;
            while notice(url.clone()).await.is_null() == on {
                assert!(Instant::now() < deadline, "B did not follow the switch");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };

    assert_eq!(switch("on").await.0, 303);
    becomes(true).await;
    let reply = chat(&client, &b.url, "visitor", "避難所はどこ").await;
    assert_eq!(reply["notice"]["text"], "避難指示が出ています", "{reply}");

    assert_eq!(switch("off").await.0, 303);
    becomes(false).await;
    let reply = chat(&client, &b.url, "visitor", "避難所はどこ").await;
    assert!(reply.get("notice").is_none(), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_reply_on_one_replica_reaches_a_widget_waiting_on_the_other() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let env = [("MADOGUCHI_HANDOFF_DEPARTMENTS", "somu")];
    let (a, b) = (setup.replica_with(&env), setup.replica_with(&env));
    let client = client();
    let session = "handoff-visitor";
    // Open or closed (the real clock), either choice opens a ticket.
    let offer = chat(&client, &b.url, session, "人と話したい").await;
    let person = offer["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["type"] == "handoff")
        .unwrap_or_else(|| panic!("no person offered: {offer}"))["value"]
        .clone();
    let handed: Value = client
        .post(format!("{}/api/v1/chat", b.url))
        .json(&json!({ "session_id": session, "choice": person }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = handed["ticket"]["id"].as_i64().expect("a ticket");

    // The widget waits on B, asking again after each piece of news.
    let waiting = tokio::spawn({
        let (client, url) = (client.clone(), b.url.clone());
        async move {
            let (mut after, mut seen) = (0, String::new());
            let deadline = Instant::now() + WAIT;
            while !seen.contains("担当の者です。") {
                assert!(Instant::now() < deadline, "no reply on B: {seen}");
                let news: Value = client
                    .get(format!(
                        "{url}/api/v1/handoff?session_id={session}&after={after}"
                    ))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                for message in news["messages"].as_array().unwrap() {
                    after = message["id"].as_i64().unwrap();
                    seen.push_str(message["text"].as_str().unwrap());
                }
            }
        }
    });
    let staff = sign_in(&client, &a.url).await;
    let url = format!("{}/admin/inbox/{ticket}", a.url);
    let csrf = common::page_csrf(&client, &url, &staff).await;
    let (status, _) = common::post_form(
        &client,
        &url,
        &staff,
        &[
            ("csrf", &csrf),
            ("action", "reply"),
            ("text", "担当の者です。"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    waiting.await.unwrap();
}
