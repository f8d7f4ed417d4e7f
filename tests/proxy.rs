//! Behind the city's reverse proxy: each resident keeps a rate limit of
//! their own, and nobody escapes theirs by sending a forwarding header. The
//! proxy is a real nginx; residents are distinct loopback addresses
//! (127.0.0.2, 127.0.0.3, …).

mod common;

use std::net::{IpAddr, SocketAddr};

use madoguchi::server::Application;
use reqwest::StatusCode;
use serde_json::json;

async fn serve(trusted: &[&str], per_minute: u32) -> (SocketAddr, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let mut settings = common::settings(data.path());
    settings.web.requests_per_minute = per_minute;
    settings.admin.sign_ins_per_minute = 2;
    settings.web.trusted_proxies = trusted.iter().map(|s| s.to_string()).collect();
    let app = Application::build(settings).expect("server starts");
    let address = app.address();
    tokio::spawn(app.run_until_stopped());
    (address, data)
}

/// A client that connects from `address`.
fn resident(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn ask(client: &reqwest::Client, base: SocketAddr, forwarded: Option<&str>) -> StatusCode {
    let mut request = client
        .post(format!("http://{base}/api/v1/chat"))
        .json(&json!({ "text": "住民票" }));
    if let Some(value) = forwarded {
        request = request.header("x-forwarded-for", value);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn through_nginx_each_resident_has_a_limit_of_their_own() {
    let (server, _data) = serve(&["127.0.0.1"], 5).await;
    let Some(nginx) = common::nginx::Nginx::start(&[server]) else {
        return;
    };
    // 30 residents, 3 questions each: more than the limit in all, within
    // it for each.
    for n in 2..32 {
        let client = resident(&format!("127.0.0.{n}"));
        for _ in 0..3 {
            assert_eq!(
                ask(&client, nginx.address, None).await,
                StatusCode::OK,
                "resident {n}"
            );
        }
    }
    // One resident past the limit is refused, however they dress it up:
    // nginx replaces the forwarding header with the address it saw.
    let busy = resident("127.0.0.40");
    let statuses: Vec<StatusCode> = ask_in_turn(&busy, nginx.address, 8).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        5,
        "{statuses:?}"
    );
    for n in 0..3 {
        let spoof = format!("198.51.100.{n}");
        assert_eq!(
            ask(&busy, nginx.address, Some(&spoof)).await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}

async fn ask_in_turn(client: &reqwest::Client, base: SocketAddr, n: usize) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(ask(client, base, None).await);
    }
    statuses
}

#[tokio::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    // Trusted: 127.0.0.1 is the proxy; the header names the resident.
    let (server, data) = serve(&["127.0.0.1"], 2).await;
    let proxy = resident("127.0.0.1");
    for n in 1..=130 {
        let header = format!("203.0.113.{n}");
        assert_eq!(
            ask(&proxy, server, Some(&header)).await,
            StatusCode::OK,
            "resident {n}"
        );
    }
    // From an address that is not a proxy, the header is ignored: the
    // sender's own address counts, whatever it claims.
    let outsider = resident("127.0.0.9");
    let mut statuses = Vec::new();
    for n in 0..4 {
        statuses.push(ask(&outsider, server, Some(&format!("192.0.2.{n}"))).await);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // The query log keeps the resolved client's network, never its address.
    let database =
        rusqlite::Connection::open(data.path().join(madoguchi::store::DATABASE_FILE)).unwrap();
    let mut statement = database
        .prepare("SELECT client, COUNT(*) FROM replies GROUP BY client ORDER BY client")
        .unwrap();
    let networks: Vec<(String, i64)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        networks,
        [
            ("127.0.0.0/24".to_string(), 2),
            ("203.0.113.0/24".to_string(), 130)
        ]
    );
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_resident_and_per_account() {
    let (server, _data) = serve(&["127.0.0.1"], 100).await;
    let proxy = resident("127.0.0.1");
    let attempt = |user: &'static str, forwarded: String| {
        let proxy = proxy.clone();
        async move {
            proxy
                .post(format!("http://{server}/admin/login"))
                .header("x-forwarded-for", forwarded)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("user={user}&password=wrong&csrf="))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // One attacker's address runs out after two attempts a minute…
    let from_attacker: Vec<StatusCode> = {
        let mut all = Vec::new();
        for _ in 0..3 {
            all.push(attempt("kaizu-staff", "203.0.113.66".into()).await);
        }
        all
    };
    assert_eq!(
        from_attacker[2],
        StatusCode::TOO_MANY_REQUESTS,
        "{from_attacker:?}"
    );
    // …but a colleague behind the same proxy can still reach the form.
    assert_eq!(
        attempt("other-staff", "203.0.113.7".into()).await,
        StatusCode::FORBIDDEN,
        "refused for the missing form token, not locked out"
    );
    // Many addresses guessing one account's password are slowed down by the
    // account's own limit (20 an hour by default).
    let mut statuses = Vec::new();
    for n in 1..=30 {
        statuses.push(attempt("kaizu-staff", format!("198.51.100.{n}")).await);
    }
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(refused >= 10, "{statuses:?}");
}
