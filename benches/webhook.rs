//! Load on the LINE webhook over loopback: 64 connections post signed
//! one-event bodies (each event new, so each is checked, parsed and queued)
//! for a few seconds, while the workers answer every event through a
//! stand-in of the Messaging API. Prints requests/s, p50 and p99 of the
//! webhook, and how long the workers took to answer everything.
//!
//!   cargo bench --bench webhook [-- SECONDS]

// The stand-in is shared with the tests, which use all of it.
#[allow(dead_code)]
#[path = "../tests/common/line_api/mod.rs"]
mod line_api;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use madoguchi::channels::line::signature;
use madoguchi::config::Settings;
use madoguchi::server::Application;
use serde_json::json;

const CONNECTIONS: usize = 64;
const SECRET: &str = "bench-secret";
const QUESTIONS: [&str; 5] = [
    "住民票をコンビニで取りたい",
    "マイナンバーカードをなくした",
    "児童手当",
    "ごみの出し方",
    "宇宙旅行の申し込み",
];

fn body(n: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "destination": "Ubench",
        "events": [{
            "type": "message",
            "message": { "type": "text", "id": n.to_string(), "text": QUESTIONS[n % QUESTIONS.len()] },
            "webhookEventId": format!("BENCH{n:010}"),
            "deliveryContext": { "isRedelivery": false },
            "timestamp": 1_700_000_000_000u64,
            "source": { "type": "user", "userId": format!("U{:032}", n % 500) },
            "replyToken": format!("bench-token-{n}"),
            "mode": "active"
        }]
    }))
    .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10);
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let api = line_api::LineApi::start("bench-token");
    let data = tempfile::tempdir().unwrap();
    let mut settings = Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        faq_dir: root.join("faq"),
        dictionaries_dir: root.join("dictionaries"),
        ..Settings::default()
    };
    settings.line.channel_secret = Some(SECRET.into());
    settings.line.channel_access_token = Some("bench-token".into());
    settings.line.api_base = api.base();
    settings.line.queue_capacity = 1_000_000;
    // On PostgreSQL when it names one (benches/replicas.sh does).
    settings.store.database_url = std::env::var("MADOGUCHI_DATABASE_URL").ok();
    let app = Application::build(settings).unwrap();
    let url = format!("http://{}/webhooks/line", app.address());
    tokio::spawn(app.run_until_stopped());

    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let client = reqwest::Client::new();
            let (next, url) = (next.clone(), url.clone());
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    let body = body(next.fetch_add(1, Ordering::Relaxed));
                    let signature = signature::sign(SECRET, &body);
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-line-signature", signature)
                        .body(body)
                        .send()
                        .await;
                    latencies.push(sent.elapsed());
                    if !response.is_ok_and(|r| r.status().is_success()) {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let requests = latencies.len();
    println!(
        "webhook: {requests} requests in {:.1} s = {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, errors {errors}",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );
    let accepted = requests - errors;
    api.wait_for("reply", accepted, Duration::from_secs(600))
        .await;
    let answered = started.elapsed();
    println!(
        "workers: all {accepted} events answered {:.1} s after the start ({:.0} events/s)",
        answered.as_secs_f64(),
        accepted as f64 / answered.as_secs_f64()
    );
}
