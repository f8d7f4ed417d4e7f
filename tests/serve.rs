//! `madoguchi serve` as an operator runs it: settings from the environment,
//! clear errors for a bad config file, and a clean stop on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serve_takes_its_settings_from_the_environment_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, url) = serve_from_environment(data.path());
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let health = status_of_get(&format!("{url}healthz"));
    assert_eq!(health, 200);
    assert!(
        data.path().join("madoguchi.sqlite3").exists(),
        "the database is in the data directory"
    );
    let chat = status_of("POST", &format!("{url}api/v1/chat"), r#"{"text":"住民票"}"#);
    assert_eq!(chat, 200);
    let wal = data.path().join("madoguchi.sqlite3-wal");
    let wal_size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert!(wal_size() > 0, "the reply went to the write-ahead log");

    let status = stop_with_sigterm(&mut child);
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
    assert_eq!(
        wal_size(),
        0,
        "the write-ahead log was copied in on the way out"
    );
}

/// Starts `madoguchi serve` configured by the environment only, on a free
/// port with its data in `data`; returns it and its URL.
fn serve_from_environment(data: &std::path::Path) -> (std::process::Child, String) {
    spawn_serve(|command| {
        command
            .env("MADOGUCHI_BIND", "127.0.0.1:0")
            .env("MADOGUCHI_DATA_DIR", data)
            .env("MADOGUCHI_FAQ_DIR", common::root().join("faq"))
            .env_remove("MADOGUCHI_CONFIG");
    })
}

/// Starts `madoguchi serve` from the repository root, set up by `adjust`;
/// returns it and the URL it prints.
fn spawn_serve(adjust: impl FnOnce(&mut Command)) -> (std::process::Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    command.current_dir(common::root()).arg("serve");
    adjust(&mut command);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let url = printed_address(&mut child);
    (child, url)
}

/// Sends SIGTERM and waits (15 s at most) for the process to end.
fn stop_with_sigterm(child: &mut std::process::Child) -> std::process::ExitStatus {
    let sent = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "no stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_bad_config_file_is_named_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("madoguchi.toml");
    std::fs::write(&config, "bnd = \"127.0.0.1:0\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .current_dir(common::root())
        .args(["serve", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("madoguchi.toml") && text.contains("bnd"),
        "{text}"
    );
}

#[test]
fn broken_content_stops_the_start_with_its_diagnostics() {
    let faq = common::FaqCopy::new();
    faq.edit(
        "zei.yaml",
        "procedures: [tax-transfer-form]",
        "procedures: [nope]",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .current_dir(common::root())
        .args([
            "--faq",
            faq.path().to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("zei.yaml:") && text.contains("unknown procedure id `nope`"),
        "{text}"
    );
}

/// The status of a GET over a plain TCP connection (the server speaks
/// HTTP/1.1; this test needs no client library).
fn status_of_get(url: &str) -> u16 {
    status_of("GET", url, "")
}

/// The status of a request with a JSON body, as [`status_of_get`].
fn status_of(method: &str, url: &str, json: &str) -> u16 {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Starts `madoguchi serve` with a config file; returns it and its URL.
fn serve_with_config(config: &std::path::Path) -> (std::process::Child, String) {
    spawn_serve(|command| {
        command.arg("--config").arg(config);
    })
}

/// The URL `serve` prints on its first line.
fn printed_address(child: &mut std::process::Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("serving on ")
        .expect("the address is printed")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_acknowledged_before_a_sigkill_is_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("madoguchi.toml");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[web]\nrequests_per_minute = 100000000\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let (mut child, url) = serve_with_config(&config);
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let questions = [
        "住民票をコンビニで取りたい",
        "宇宙旅行",
        "児童手当",
        "ありがとう",
    ];
    let clients: Vec<_> = (0..16)
        .map(|c| {
            let (url, acknowledged) = (url.clone(), acknowledged.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for n in 0.. {
                    let text = questions[(c + n) % questions.len()];
                    let Ok(response) = client
                        .post(format!("{url}api/v1/chat"))
                        .json(&serde_json::json!({ "text": text }))
                        .send()
                        .await
                    else {
                        return;
                    };
                    if response.status() != 200 {
                        return;
                    }
                    let Ok(body) = response.json::<serde_json::Value>().await else {
                        return;
                    };
                    let id = body["reply_id"].as_str().unwrap().to_string();
                    acknowledged.lock().unwrap().push(id);
                }
            })
        })
        .collect();
    // Kill mid-traffic, once a good number of replies went out.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 300 {
        assert!(Instant::now() < deadline, "too few replies");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for client in clients {
        client.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let database = rusqlite::Connection::open(dir.path().join("data/madoguchi.sqlite3")).unwrap();
    let mut missing = Vec::new();
    for id in &acknowledged {
        let found: i64 = database
            .query_row("SELECT COUNT(*) FROM replies WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        if found != 1 {
            missing.push(id.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged replies lost",
        missing.len(),
        acknowledged.len()
    );

    // The server starts again on the same database.
    let (mut again, url) = serve_with_config(&config);
    assert_eq!(status_of_get(&format!("{url}healthz")), 200);
    again.kill().unwrap();
    again.wait().unwrap();
}

/// `deploy/madoguchi.service` with its paths under `root` and the binary
/// under test in `ExecStart`.
fn unit_for_test(root: &std::path::Path) -> String {
    std::fs::read_to_string(common::root().join("deploy/madoguchi.service"))
        .unwrap()
        .replace("/usr/local/bin/madoguchi", env!("CARGO_BIN_EXE_madoguchi"))
        .replace(
            "/var/lib/madoguchi",
            &root.join("var").display().to_string(),
        )
        .replace("/etc/madoguchi", &root.join("etc").display().to_string())
}

#[test]
fn the_systemd_unit_verifies() {
    if !std::path::Path::new("/usr/bin/systemd-analyze").exists() {
        assert!(std::env::var_os("CI").is_none(), ".ci/run installs systemd");
        eprintln!("SKIPPED: systemd-analyze is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("madoguchi.service");
    std::fs::write(&unit, unit_for_test(dir.path())).unwrap();
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr).to_string()
        + &String::from_utf8_lossy(&output.stdout);
    let about_unit: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("madoguchi.service"))
        .collect();
    assert!(output.status.success(), "{said}");
    assert!(about_unit.is_empty(), "{about_unit:?}");
}

/// The unit's `Environment=` settings and its `ExecStart` arguments.
fn unit_command(unit: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut environment = Vec::new();
    let mut command = Vec::new();
    for line in unit.lines() {
        if let Some(pair) = line.strip_prefix("Environment=") {
            let (name, value) = pair.split_once('=').unwrap();
            environment.push((name.to_string(), value.to_string()));
        } else if let Some(exec) = line.strip_prefix("ExecStart=") {
            command = exec.split_whitespace().map(String::from).collect();
        }
    }
    (environment, command)
}

/// systemd cannot run here (it is not PID 1 in this sandbox), so the unit's
/// own command and environment are run as systemd would, with the example
/// config from `deploy/` and the content where the unit expects it.
#[test]
fn the_units_command_serves_with_the_example_config_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_for_test(dir.path());
    let (environment, command) = unit_command(&unit);
    let etc = dir.path().join("etc");
    std::fs::create_dir_all(etc.join("dictionaries")).unwrap();
    std::fs::create_dir_all(dir.path().join("var")).unwrap();
    let example = std::fs::read_to_string(common::root().join("deploy/madoguchi.toml"))
        .unwrap()
        .replace("/etc/madoguchi", &etc.display().to_string())
        .replace(
            "/var/lib/madoguchi",
            &dir.path().join("var").display().to_string(),
        );
    std::fs::write(etc.join("madoguchi.toml"), example).unwrap();
    let copy = |from: &str, to: &std::path::Path| {
        let status = Command::new("cp")
            .arg("-r")
            .arg(common::root().join(from))
            .arg(to)
            .status()
            .unwrap();
        assert!(status.success());
    };
    copy("faq", &dir.path().join("var/faq"));
    for file in [
        "user_dict.csv",
        "synonyms.yaml",
        "stopwords.txt",
        "variants",
    ] {
        copy(
            &format!("dictionaries/{file}"),
            &etc.join("dictionaries").join(file),
        );
    }
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .envs(environment)
        // The example listens on 8080; here any free port.
        .env("MADOGUCHI_BIND", "127.0.0.1:0")
        .current_dir(dir.path().join("var"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the unit's command starts");
    let url = printed_address(&mut child);
    assert_eq!(status_of_get(&format!("{url}readyz")), 200);
    assert_eq!(
        status_of("POST", &format!("{url}api/v1/chat"), r#"{"text":"住民票"}"#),
        200
    );
    assert!(dir.path().join("var/madoguchi.sqlite3").exists());
    assert!(dir.path().join("var/pseudonym.key").exists());
    let status = stop_with_sigterm(&mut child);
    assert!(status.success(), "{status}");
}

#[test]
fn the_content_directory_named_in_the_config_file_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let faq = common::FaqCopy::new();
    faq.edit(
        "certificates.yaml",
        "answer: |",
        "answer: |\n      （設定ファイルで指定した内容です）",
    );
    let config = dir.path().join("city.toml");
    std::fs::write(&config, format!("faq_dir = \"{}\"\n", faq.path().display())).unwrap();
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .current_dir(dir.path())
            .env_remove("MADOGUCHI_FAQ_DIR")
            .env(
                "MADOGUCHI_DICTIONARIES_DIR",
                common::root().join("dictionaries"),
            )
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    let shown = run(&["config"]);
    let line = format!(
        "faq_dir = \"{}\"  # file {}",
        faq.path().display(),
        config.display()
    );
    assert!(shown.contains(&line), "{shown}");
    assert!(shown.contains("dictionaries_dir = "), "{shown}");
    assert!(
        shown.contains("# env MADOGUCHI_DICTIONARIES_DIR"),
        "{shown}"
    );
    let answer = run(&["ask", "コンビニで住民票って取れる？"]);
    assert!(
        answer.contains("設定ファイルで指定した内容です"),
        "{answer}"
    );
}

/// `madoguchi replay` on a data directory that `serve` wrote: the questions
/// residents asked, replayed against a draft that answers one of them.
#[test]
fn replay_lists_the_logged_questions_a_draft_changes() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, url) = serve_from_environment(data.path());
    for question in [
        "宇宙旅行の申し込み",
        "宇宙旅行の申し込み",
        "コンビニで住民票って取れる？",
    ] {
        let body = format!(r#"{{"text":"{question}"}}"#);
        assert_eq!(status_of("POST", &format!("{url}api/v1/chat"), &body), 200);
    }
    assert!(stop_with_sigterm(&mut child).success());

    let draft = common::FaqCopy::new();
    draft.write(
        "space.yaml",
        "category: 宇宙\ndepartment: somu\nentries:\n  - id: space-travel\n    question: 宇宙旅行の申し込み方法\n    phrasings: [宇宙旅行に申し込みたい]\n    answer: 市では受け付けていません。\n",
    );
    let replay = |extra: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .current_dir(common::root())
            .arg("replay")
            .arg(draft.path())
            .arg("--data-dir")
            .arg(data.path())
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    let report: serde_json::Value = serde_json::from_str(&replay(&["--json"])).unwrap();
    assert_eq!(report["questions"], 2, "{report}");
    assert_eq!(report["asked"], 3, "{report}");
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(
        changes.len(),
        1,
        "only the question the draft answers: {report}"
    );
    assert_eq!(changes[0]["question"], "宇宙旅行の申し込み");
    assert_eq!(changes[0]["count"], 2);
    assert_eq!(changes[0]["before"]["kind"], "fallback");
    assert_eq!(changes[0]["after"]["kind"], "answer");
    assert_eq!(changes[0]["after"]["entry_id"], "space-travel");
    let text = replay(&["--since", "2020-01-01"]);
    assert!(text.contains("1 of 2 distinct questions"), "{text}");
    assert!(text.contains("2×  宇宙旅行の申し込み"), "{text}");
    assert!(text.contains("after:  answer space-travel"), "{text}");
    // Nothing asked since a day to come: nothing to replay.
    let none = replay(&["--since", "2999-01-01", "--json"]);
    assert!(none.contains("\"changes\": []"), "{none}");
}

#[test]
fn the_replica_example_config_names_the_primary_and_the_standby() {
    let path = common::root().join("deploy/madoguchi-replica.toml");
    let settings =
        madoguchi::config::Settings::from_toml(&path, &std::fs::read_to_string(&path).unwrap())
            .unwrap();
    let url = settings.store.database_url.expect("a database URL");
    let config: postgres::Config = url.parse().unwrap();
    assert_eq!(config.get_hosts().len(), 2, "{url}");
    assert_eq!(
        config.get_target_session_attrs(),
        postgres::config::TargetSessionAttrs::ReadWrite,
        "after a failover, the new primary"
    );
    assert_eq!(config.get_ssl_mode(), postgres::config::SslMode::Require);
    assert!(settings.store.tls_ca_file.is_some());
    assert!(!settings.web.trusted_proxies.is_empty());
    madoguchi::client::TrustedProxies::new(&settings.web.trusted_proxies).unwrap();
}
