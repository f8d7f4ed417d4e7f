//! The widget in a real browser: headless Chromium, driven through
//! chromedriver, opens the demo page served on a random loopback port, asks,
//! picks a choice, gives feedback, and does a whole flow with the keyboard
//! only; staff sign in to the admin pages, mark a group of unanswered
//! questions done and download the CSV. Screenshots go to `target/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).
//! Without them the test says so and passes, except under CI, where it fails.

mod common;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use madoguchi::config::Settings;
use madoguchi::server::Application;
use serde_json::{Value, json};

const HOST: &str = "document.querySelector('[data-madoguchi]').shadowRoot";

/// chromedriver in a process group of its own, stopped with the browsers
/// it started when dropped (killing chromedriver alone leaves them behind).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

async fn browser(profile: &std::path::Path) -> Option<(Client, Driver)> {
    if !installed("chromedriver") || !installed("chromium") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: install chromium and chromium-driver"
        );
        println!("skipped: chromium and chromedriver are not installed");
        return None;
    }
    let port = common::free_port();
    let driver = Driver(
        Command::new("chromedriver")
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--lang=ja", "--window-size=390,844",
                format!("--user-data-dir={}", profile.display())
            ],
            "prefs": {
                // A resident whose browser is in Japanese.
                "intl.accept_languages": "ja",
                "download.default_directory": profile.join("downloads"),
                "download.prompt_for_download": false
            }
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return Some((client, driver)),
            Err(err) if Instant::now() > deadline => panic!("no WebDriver session: {err}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.expect("script runs")
}

/// Waits until `condition` (a JS expression) is true.
async fn wait_until(client: &Client, condition: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while js(client, &format!("return !!({condition});")).await != Value::Bool(true) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks the page's element at `locator`.
async fn click(client: &Client, locator: Locator<'_>) {
    client.find(locator).await.unwrap().click().await.unwrap();
}

/// Types `text` into the page's field at `locator`.
async fn type_into(client: &Client, locator: Locator<'_>, text: &str) {
    client
        .find(locator)
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

async fn press(client: &Client, key: Key) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    client.perform_actions(keys).await.expect("key press");
}

async fn shadow(client: &Client, css: &str) -> fantoccini::elements::Element {
    let host = client
        .find(Locator::Css("[data-madoguchi]"))
        .await
        .expect("widget host");
    host.shadow_root()
        .await
        .expect("shadow root")
        .find(Locator::Css(css))
        .await
        .expect(css)
}

async fn bot_messages(client: &Client) -> u64 {
    js(
        client,
        &format!("return {HOST}.querySelectorAll('.msg.bot').length;"),
    )
    .await
    .as_u64()
    .unwrap()
}

async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(name);
    std::fs::write(&path, png).expect("write screenshot");
    println!("screenshot: {}", path.display());
}

/// Signs in to the staff pages as `user`, on a laptop-sized window.
async fn sign_in(client: &Client, address: std::net::SocketAddr, user: &str, password: &str) {
    client.set_window_size(1280, 900).await.unwrap();
    client
        .goto(&format!("http://{address}/admin"))
        .await
        .unwrap();
    wait_until(
        client,
        "location.pathname === '/admin/login'",
        "the sign-in form",
    )
    .await;
    type_into(client, Locator::Id("user"), user).await;
    type_into(client, Locator::Id("password"), password).await;
    click(client, Locator::Css("main button[type=submit]")).await;
    wait_until(client, "location.pathname === '/admin'", "the dashboard").await;
}

/// Publishes the draft shown, and waits for the history of revisions.
async fn publish(client: &Client) {
    click(client, Locator::Id("publish")).await;
    wait_until(
        client,
        "location.pathname === '/admin/revisions'",
        "the history",
    )
    .await;
}

/// Opens the demo page and the widget, and waits for its menu.
async fn open_widget(client: &Client, address: std::net::SocketAddr) {
    client.goto(&format!("http://{address}/")).await.unwrap();
    shadow(client, ".launcher").await.click().await.unwrap();
    wait_until(
        client,
        &format!("{HOST}.querySelectorAll('.msg.bot').length >= 1"),
        "the menu",
    )
    .await;
}

/// Types `text` into the open widget and sends it.
async fn send(client: &Client, text: &str) {
    shadow(client, "textarea")
        .await
        .send_keys(text)
        .await
        .unwrap();
    shadow(client, "form button").await.click().await.unwrap();
}

/// Types a question whose answer has a procedure link into the open
/// widget, sends it, and waits for the link.
async fn ask_for_a_procedure(client: &Client, what: &str) {
    let input = shadow(client, "textarea").await;
    input.send_keys("コンビニで住民票を取りたい").await.unwrap();
    shadow(client, "form button").await.click().await.unwrap();
    wait_until(client, &format!("{HOST}.querySelector('a.proc')"), what).await;
}

async fn start_server() -> (std::net::SocketAddr, tempfile::TempDir) {
    start_server_with(|_| {}).await
}

async fn start_server_with(
    adjust: impl FnOnce(&mut Settings),
) -> (std::net::SocketAddr, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let mut settings = common::settings(data.path());
    adjust(&mut settings);
    let app = Application::build(settings).expect("server starts");
    let address = app.address();
    tokio::spawn(app.run_until_stopped());
    (address, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_asks_picks_a_choice_and_gives_feedback() {
    let profile = tempfile::tempdir().unwrap();
    let Some((client, _driver)) = browser(profile.path()).await else {
        return;
    };
    let (address, _data) = start_server().await;
    open_widget(&client, address).await;
    ask_for_a_procedure(&client, "the answer's procedure link").await;

    let link = shadow(&client, "a.proc").await;
    assert!(link.text().await.unwrap().contains("コンビニ交付"));
    assert_eq!(
        link.attr("target").await.unwrap().as_deref(),
        Some("_blank")
    );
    assert!(
        link.attr("href")
            .await
            .unwrap()
            .unwrap()
            .starts_with("https://")
    );
    let live = js(
        &client,
        &format!("return {HOST}.querySelector('[aria-live]').textContent;"),
    )
    .await;
    assert!(
        live.as_str().unwrap().contains("コンビニ"),
        "screen readers hear the answer: {live}"
    );

    // 役に立ちましたか？ → はい
    let yes = js(&client, &format!("return Array.from({HOST}.querySelectorAll('.feedback button')).map(b => b.textContent);")).await;
    assert_eq!(yes, json!(["はい", "いいえ"]));
    shadow(&client, ".feedback button")
        .await
        .click()
        .await
        .unwrap();
    wait_until(
        &client,
        &format!(
            "{HOST}.querySelector('.feedback')?.textContent.includes('ありがとうございました')"
        ),
        "the thanks",
    )
    .await;

    // 「引っ越しの手続き」 starts the moving flow; its buttons lead to the answer.
    let before = bot_messages(&client).await;
    send(&client, "引っ越しの手続き").await;
    wait_until(
        &client,
        &format!("{HOST}.querySelectorAll('.msg.bot').length > {before}"),
        "the choices",
    )
    .await;
    let host = client.find(Locator::Css("[data-madoguchi]")).await.unwrap();
    let buttons = host
        .shadow_root()
        .await
        .unwrap()
        .find_all(Locator::Css(".msg.bot:last-child .actions button"))
        .await
        .unwrap();
    let mut picked = false;
    for button in buttons {
        if button.text().await.unwrap().contains("海津市の中で") {
            button.click().await.unwrap();
            picked = true;
            break;
        }
    }
    assert!(picked, "a choice for moving within the city is offered");
    wait_until(
        &client,
        &format!("{HOST}.querySelector('.msg.bot:last-child')?.textContent.includes('転居届')"),
        "the chosen answer",
    )
    .await;
    save_screenshot(&client, "widget-conversation.png").await;

    // The conversation survives navigation within the tab.
    let count = bot_messages(&client).await;
    client.goto(&format!("http://{address}/")).await.unwrap();
    wait_until(
        &client,
        &format!("{HOST}.querySelectorAll('.msg.bot').length === {count}"),
        "the restored conversation",
    )
    .await;

    // The database holds the vote.
    let metrics = reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("madoguchi_feedback_total{helpful=\"yes\"} 1"),
        "{metrics}"
    );
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_works_with_the_keyboard_only_on_a_narrow_screen() {
    let profile = tempfile::tempdir().unwrap();
    let Some((client, _driver)) = browser(profile.path()).await else {
        return;
    };
    let (address, _data) = start_server().await;
    client.set_window_size(320, 640).await.unwrap();
    client.goto(&format!("http://{address}/")).await.unwrap();
    wait_until(
        &client,
        &format!("{HOST}.querySelector('.launcher')"),
        "the widget",
    )
    .await;

    press(&client, Key::Tab).await;
    let focused = js(
        &client,
        &format!("return {HOST}.activeElement && {HOST}.activeElement.className;"),
    )
    .await;
    assert_eq!(focused, json!("launcher"), "Tab reaches the chat button");
    press(&client, Key::Enter).await;
    wait_until(
        &client,
        &format!("{HOST}.activeElement && {HOST}.activeElement.tagName === 'TEXTAREA'"),
        "focus in the text box",
    )
    .await;
    wait_until(
        &client,
        &format!("{HOST}.querySelectorAll('.msg.bot').length >= 1"),
        "the menu",
    )
    .await;

    let keys =
        "マイナンバーカードをなくした"
            .chars()
            .fold(KeyActions::new("typing".into()), |keys, c| {
                keys.then(KeyAction::Down { value: c })
                    .then(KeyAction::Up { value: c })
            });
    client.perform_actions(keys).await.unwrap();
    press(&client, Key::Enter).await;
    wait_until(
        &client,
        &format!(
            "{HOST}.querySelector('.msg.bot:last-child')?.textContent.includes('0120-95-0178')"
        ),
        "the answer",
    )
    .await;

    let fits = js(&client, &format!("const r = {HOST}.querySelector('.panel').getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth;")).await;
    assert_eq!(fits, json!(true), "the panel fits a 320 px screen");
    let small_targets = js(
        &client,
        &format!("return Array.from({HOST}.querySelectorAll('button, a')).filter(e => e.offsetParent && (e.getBoundingClientRect().height < 44)).map(e => e.textContent);"),
    )
    .await;
    assert_eq!(
        small_targets,
        json!([]),
        "every touch target is at least 44 px high"
    );
    save_screenshot(&client, "widget-keyboard-320px.png").await;

    press(&client, Key::Escape).await;
    wait_until(
        &client,
        &format!("{HOST}.querySelector('.panel').hidden"),
        "the panel to close",
    )
    .await;
    let focused = js(
        &client,
        &format!("return {HOST}.activeElement && {HOST}.activeElement.className;"),
    )
    .await;
    assert_eq!(
        focused,
        json!("launcher"),
        "Esc returns focus to the chat button"
    );
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sign_in_review_unanswered_questions_and_download_the_csv() {
    let profile = tempfile::tempdir().unwrap();
    let Some((client, _driver)) = browser(profile.path()).await else {
        return;
    };
    let password = "窓口-staff-2026";
    let (address, _data) = start_server_with(|settings| {
        settings.admin.users = vec![madoguchi::config::AdminUser {
            name: "staff".into(),
            password_hash: madoguchi::admin::auth::hash_password(password).unwrap(),
            ..Default::default()
        }];
    })
    .await;
    let http = reqwest::Client::new();
    for text in ["宇宙旅行の申し込み", "宇宙旅行に行きたい", "競馬場の場所"]
    {
        http.post(format!("http://{address}/api/v1/chat"))
            .json(&json!({ "text": text }))
            .send()
            .await
            .unwrap();
    }

    sign_in(&client, address, "staff", password).await;
    wait_until(
        &client,
        "document.body.textContent.includes('この30日間')",
        "the figures",
    )
    .await;

    click(&client, Locator::LinkText("答えられなかった質問")).await;
    wait_until(
        &client,
        "document.querySelector('tr.group') !== null",
        "the groups",
    )
    .await;
    let first = js(
        &client,
        "const row = document.querySelector('tr.group'); return [row.dataset.key, row.children[1].textContent];",
    )
    .await;
    assert!(first[0].as_str().unwrap().contains("宇宙"), "{first}");
    assert_eq!(first[1], json!("2"), "two near questions grouped");
    save_screenshot(&client, "admin-unanswered.png").await;

    let row = client.find(Locator::Css("tr.group")).await.unwrap();
    row.find(Locator::Css("input[name=entry_id]"))
        .await
        .unwrap()
        .send_keys("gomi-bunbetsu")
        .await
        .unwrap();
    row.find(Locator::Css(
        "form[action='/admin/unanswered'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_until(
        &client,
        "document.querySelector('.flash') !== null",
        "the change",
    )
    .await;
    let open_keys = js(
        &client,
        "return Array.from(document.querySelectorAll('tr.group')).map(r => r.dataset.key);",
    )
    .await;
    assert!(!open_keys.to_string().contains("宇宙"), "{open_keys}");

    click(&client, Locator::LinkText("CSVでダウンロード")).await;
    let file = profile.path().join("downloads/madoguchi-unanswered.csv");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file.exists() {
        assert!(Instant::now() < deadline, "the CSV was not downloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let csv = std::fs::read_to_string(&file).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("done,gomi-bunbetsu"), "{csv}");
    client.close().await.unwrap();
}

/// Serves `page` with `policy` as its Content-Security-Policy on
/// `listener`, another origin on loopback, on a thread of its own, as a
/// city's website would.
fn host_page(listener: TcpListener, page: String, policy: String) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Security-Policy: {policy}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_keeps_its_look_and_works_under_a_strict_csp() {
    let profile = tempfile::tempdir().unwrap();
    let Some((client, _driver)) = browser(profile.path()).await else {
        return;
    };
    // The page's origin goes into allowed_origins, and the server's address
    // into the page: the page's listener is bound first.
    let page_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let page_port = page_listener.local_addr().unwrap().port();
    let (address, _data) = start_server_with(|s| {
        s.web.allowed_origins = vec![format!("http://127.0.0.1:{page_port}")];
    })
    .await;
    let policy =
        format!("default-src 'none'; script-src http://{address}; connect-src http://{address}");
    let page = format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>海津市</title></head>\
         <body><h1>海津市役所</h1>\
         <script src=\"http://{address}/widget.js\" data-color=\"#00529b\" defer></script></body></html>"
    );
    let host = host_page(page_listener, page, policy);
    client.goto(&format!("http://{host}/")).await.unwrap();
    wait_until(
        &client,
        "document.querySelector('[data-madoguchi]')",
        "the widget",
    )
    .await;
    // Styled: the launcher has the city's colour and is fixed in the corner.
    let style = js(
        &client,
        &format!("const s = getComputedStyle({HOST}.querySelector('.launcher')); return [s.backgroundColor, s.position];"),
    )
    .await;
    assert_eq!(style, json!(["rgb(0, 82, 155)", "fixed"]));
    shadow(&client, ".launcher").await.click().await.unwrap();
    ask_for_a_procedure(&client, "the answer, fetched under connect-src").await;
    save_screenshot(&client, "widget-strict-csp.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_drafts_a_phrasing_an_approver_publishes_and_restores() {
    let profile = tempfile::tempdir().unwrap();
    let Some((client, _driver)) = browser(profile.path()).await else {
        return;
    };
    let password = "窓口-staff-2026";
    let faq = common::FaqCopy::new();
    let faq_dir = faq.path().to_path_buf();
    let (address, _data) = start_server_with(|settings| {
        let hash = madoguchi::admin::auth::hash_password(password).unwrap();
        settings.faq_dir = faq_dir;
        settings.admin.require_second_approver = true;
        settings.admin.users = [
            ("editor", madoguchi::config::Role::Editor),
            ("approver", madoguchi::config::Role::Approver),
        ]
        .into_iter()
        .map(|(name, role)| madoguchi::config::AdminUser {
            name: name.into(),
            password_hash: hash.clone(),
            role,
            departments: Vec::new(),
        })
        .collect();
    })
    .await;
    let http = reqwest::Client::new();
    let ask = |text: &'static str| {
        let http = http.clone();
        async move {
            http.post(format!("http://{address}/api/v1/chat"))
                .json(&json!({ "text": text }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    for _ in 0..2 {
        assert_eq!(ask("宇宙旅行の申し込み").await["kind"], "fallback");
    }

    // The editor adds the group's wording to the suggested entry.
    sign_in(&client, address, "editor", password).await;
    click(&client, Locator::LinkText("答えられなかった質問")).await;
    wait_until(
        &client,
        "document.querySelector('form.add-phrasing')",
        "the groups",
    )
    .await;
    let suggested = js(
        &client,
        "return document.querySelector('tr.group form.add-phrasing select').value;",
    )
    .await;
    let entry = suggested.as_str().unwrap().to_string();
    click(&client, Locator::Css("tr.group form.add-phrasing button")).await;
    wait_until(
        &client,
        "location.pathname.startsWith('/admin/drafts/')",
        "the draft",
    )
    .await;
    let change = js(
        &client,
        "const row = document.querySelector('table.replay tr.change'); return row ? Array.from(row.children).map(c => c.textContent) : null;",
    )
    .await;
    assert_eq!(change[0], json!("宇宙旅行の申し込み"), "{change}");
    assert_eq!(change[1], json!("2"));
    assert_eq!(change[2], json!("答えなし"), "{change}");
    assert_eq!(change[3], json!(format!("回答：{entry}")));
    save_screenshot(&client, "admin-draft-replay.png").await;
    let draft_url = client.current_url().await.unwrap().to_string();
    assert!(
        js(&client, "return document.querySelector('#publish') === null && document.querySelector('.not-publishable').textContent.includes('承認者');").await
            == Value::Bool(true),
        "the editor cannot publish"
    );
    assert_eq!(
        ask("宇宙旅行の申し込み").await["kind"],
        "fallback",
        "not yet"
    );

    // The approver publishes it.
    click(&client, Locator::Css("header form button")).await;
    wait_until(
        &client,
        "location.pathname === '/admin/login'",
        "signed out",
    )
    .await;
    sign_in(&client, address, "approver", password).await;
    client.goto(&draft_url).await.unwrap();
    wait_until(
        &client,
        "document.querySelector('#publish')",
        "the publish button",
    )
    .await;
    publish(&client).await;
    assert_eq!(ask("宇宙旅行の申し込み").await["entry_id"], json!(entry));

    // And restores the content as it was before.
    click(&client, Locator::Css("tr.revision form button")).await;
    wait_until(
        &client,
        "document.querySelector('#publish')",
        "the restoring draft",
    )
    .await;
    publish(&client).await;
    assert_eq!(
        ask("宇宙旅行の申し込み").await["kind"],
        "fallback",
        "the old behaviour"
    );
    let versions = js(
        &client,
        "return document.querySelectorAll('tr.revision').length;",
    )
    .await;
    assert_eq!(versions, json!(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_switch_disaster_mode_and_the_widget_shows_its_banner() {
    let profile = tempfile::tempdir().unwrap();
    let Some((client, _driver)) = browser(profile.path()).await else {
        return;
    };
    let password = "窓口-bosai-2026";
    let (address, _data) = start_server_with(|settings| {
        settings.admin.users =
            common::staff(&[("bosai", madoguchi::config::Role::Approver)], password);
    })
    .await;
    let notice = "大雨のため避難指示が出ています。";

    sign_in(&client, address, "bosai", password).await;
    click(&client, Locator::LinkText("災害モード")).await;
    wait_until(
        &client,
        "document.querySelector('#notice')",
        "the disaster form",
    )
    .await;
    type_into(&client, Locator::Id("notice"), notice).await;
    type_into(&client, Locator::Id("link"), "https://example.org/bousai").await;
    click(&client, Locator::Css("form.disaster button")).await;
    wait_until(
        &client,
        "document.querySelector('p.disaster-on')",
        "disaster mode on",
    )
    .await;

    // A resident opens the widget on a phone.
    client.set_window_size(390, 844).await.unwrap();
    client.goto(&format!("http://{address}/")).await.unwrap();
    shadow(&client, ".launcher").await.click().await.unwrap();
    let banner = format!("{HOST}.querySelector('.banner')");
    wait_until(&client, &format!("!{banner}.hidden"), "the banner").await;
    let shown = js(&client, &format!("return {banner}.textContent;")).await;
    assert_eq!(shown, json!(format!("【災害情報】{notice}詳しくはこちら")));
    let link = js(
        &client,
        &format!("return {banner}.querySelector('a').href;"),
    )
    .await;
    assert_eq!(link, json!("https://example.org/bousai"));
    ask_for_a_procedure(&client, "an answer during disaster mode").await;
    let first_line = js(
        &client,
        &format!("return [...{HOST}.querySelectorAll('.msg.bot')].pop().firstChild.textContent;"),
    )
    .await;
    assert_eq!(first_line, json!(format!("【災害情報】{notice}")));
    save_screenshot(&client, "widget-disaster-mode.png").await;

    // Switched off (the staff member is still signed in), the banner goes
    // at the next opening.
    client.set_window_size(1280, 900).await.unwrap();
    client
        .goto(&format!("http://{address}/admin/disaster"))
        .await
        .unwrap();
    click(&client, Locator::Css("form.disaster-off button")).await;
    wait_until(
        &client,
        "document.querySelector('p.ok')",
        "disaster mode off",
    )
    .await;
    client.set_window_size(390, 844).await.unwrap();
    client.goto(&format!("http://{address}/")).await.unwrap();
    wait_until(
        &client,
        &format!("{HOST}.querySelector('.panel:not([hidden])')"),
        "the widget, still open",
    )
    .await;
    wait_until(&client, &format!("{banner}.hidden"), "the banner gone").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_is_handed_to_staff_who_reply_in_the_inbox_and_hand_back() {
    let (resident_profile, staff_profile) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let Some((resident, _resident_driver)) = browser(resident_profile.path()).await else {
        return;
    };
    let Some((staff, _staff_driver)) = browser(staff_profile.path()).await else {
        return;
    };
    let password = "窓口-inbox-2026";
    let data = tempfile::tempdir().unwrap();
    let mut settings = common::settings(data.path());
    settings.admin.users = common::staff(&[("soumu", madoguchi::config::Role::Editor)], password);
    settings.handoff.departments = vec!["somu".into()];
    // A Wednesday at 10:00 in Japan: the counter is open.
    let clock = madoguchi::hours::Clock::fixed("2026-12-02T01:00:00Z".parse().unwrap());
    let app = Application::build_with_clock(settings, clock).expect("server starts");
    let address = app.address();
    tokio::spawn(app.run_until_stopped());

    // Staff keep the inbox open.
    sign_in(&staff, address, "soumu", password).await;
    click(&staff, Locator::LinkText("職員への相談")).await;
    wait_until(
        &staff,
        "document.querySelector('#live p.ok')",
        "an empty inbox",
    )
    .await;

    // A resident asks for a person in the widget.
    open_widget(&resident, address).await;
    let input = shadow(&resident, "textarea").await;
    input.send_keys("職員と話したい").await.unwrap();
    shadow(&resident, "form button")
        .await
        .click()
        .await
        .unwrap();
    let person = format!(
        "[...{HOST}.querySelectorAll('.actions button')].find(b => b.textContent.startsWith('職員に相談する'))"
    );
    wait_until(&resident, &person, "the offer of a person").await;
    js(&resident, &format!("{person}.click(); return true;")).await;
    wait_until(
        &resident,
        &format!("!{HOST}.querySelector('.handoff').hidden"),
        "the handoff bar",
    )
    .await;
    let bar = js(
        &resident,
        &format!("return {HOST}.querySelector('.handoff span').textContent;"),
    )
    .await;
    assert_eq!(bar, json!("職員の対応をお待ちください"));
    let input = shadow(&resident, "textarea").await;
    input.send_keys("児童手当の振込日を知りたい").await.unwrap();
    shadow(&resident, "form button")
        .await
        .click()
        .await
        .unwrap();
    wait_until(
        &resident,
        &format!("{HOST}.querySelector('.sent')"),
        "the message sent to staff",
    )
    .await;

    // The conversation survives a page navigation in the same tab.
    resident.goto(&format!("http://{address}/")).await.unwrap();
    wait_until(
        &resident,
        &format!("{HOST}.querySelector('.sent') && !{HOST}.querySelector('.handoff').hidden"),
        "the handoff after navigating",
    )
    .await;

    // The ticket appears in the staff's inbox without a reload.
    wait_until(
        &staff,
        "document.querySelector('#live a[href^=\"/admin/inbox/\"]')",
        "the new ticket",
    )
    .await;
    js(
        &staff,
        "document.querySelector('#live a[href^=\"/admin/inbox/\"]').click(); return true;",
    )
    .await;
    wait_until(&staff, "document.querySelector('#take')", "the ticket page").await;
    let page = js(&staff, "return document.body.innerText;").await;
    assert!(
        page.as_str()
            .unwrap()
            .contains("児童手当の振込日を知りたい"),
        "{page}"
    );
    click(&staff, Locator::Id("take")).await;
    wait_until(&staff, "!document.querySelector('#take')", "taken").await;
    type_into(
        &staff,
        Locator::Id("reply"),
        "毎年2月・6月・10月の10日です。",
    )
    .await;
    click(&staff, Locator::Id("send")).await;
    wait_until(
        &staff,
        "document.body.innerText.includes('毎年2月・6月・10月の10日です。')",
        "the reply kept",
    )
    .await;
    save_screenshot(&staff, "handoff-staff.png").await;

    // The reply appears in the resident's widget, without a reload.
    wait_until(
        &resident,
        &format!("[...{HOST}.querySelectorAll('.msg.staff')].some(m => m.textContent.includes('毎年2月・6月・10月の10日です。'))"),
        "the staff reply in the widget",
    )
    .await;
    let bar = js(
        &resident,
        &format!("return {HOST}.querySelector('.handoff span').textContent;"),
    )
    .await;
    assert_eq!(bar, json!("職員が対応しています"));
    save_screenshot(&resident, "handoff-resident.png").await;

    // A resident who closed the page (the tab's storage gone) sees the
    // reply when they open the widget again in that browser.
    js(&resident, "sessionStorage.clear(); return true;").await;
    resident.goto(&format!("http://{address}/")).await.unwrap();
    shadow(&resident, ".launcher").await.click().await.unwrap();
    wait_until(
        &resident,
        &format!("[...{HOST}.querySelectorAll('.msg.staff')].some(m => m.textContent.includes('毎年2月・6月・10月の10日です。'))"),
        "the staff reply after reopening",
    )
    .await;

    // Staff close: the widget says so and the bot answers again.
    click(&staff, Locator::Id("close")).await;
    wait_until(
        &staff,
        "location.pathname === '/admin/inbox'",
        "back to the inbox",
    )
    .await;
    wait_until(
        &resident,
        &format!("{HOST}.querySelector('.handoff').hidden && [...{HOST}.querySelectorAll('.system')].some(m => m.textContent.includes('職員との相談を終了しました'))"),
        "the bot back",
    )
    .await;
    ask_for_a_procedure(&resident, "the bot's answer after the handoff").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn furigana_puts_readings_over_the_kanji_of_answers_and_buttons() {
    let profile = tempfile::tempdir().unwrap();
    let Some((client, _driver)) = browser(profile.path()).await else {
        return;
    };
    let (address, _data) = start_server().await;
    open_widget(&client, address).await;
    let toggle = format!(
        "[...{HOST}.querySelectorAll('.tools button')].find(b => b.textContent === 'ふりがな')"
    );
    js(&client, &format!("{toggle}.click(); return true;")).await;
    assert_eq!(
        js(
            &client,
            &format!("return {toggle}.getAttribute('aria-pressed');")
        )
        .await,
        json!("true")
    );
    ask_for_a_procedure(&client, "an answer with furigana").await;
    let readings = js(
        &client,
        &format!(
            "const bubble = [...{HOST}.querySelectorAll('.msg.bot')].pop();
             return [...bubble.querySelectorAll('ruby')].map(r => r.firstChild.textContent + ':' + r.querySelector('rt').textContent);"
        ),
    )
    .await;
    let readings: Vec<String> = serde_json::from_value(readings).unwrap();
    for expected in [
        "住民票:じゅうみんひょう",
        "印鑑登録証明書:いんかんとうろくしょうめいしょ",
        "全国:ぜんこく",
    ] {
        assert!(
            readings.iter().any(|r| r == expected),
            "{expected} in {readings:?}"
        );
    }
    // Screen readers get the plain text once: the ruby is hidden from them.
    let hidden = js(
        &client,
        &format!("const bubble = [...{HOST}.querySelectorAll('.msg.bot')].pop(); return bubble.querySelector('ruby').closest('[aria-hidden]') !== null && bubble.querySelector('.sr').textContent.includes('住民票の写し');"),
    )
    .await;
    assert_eq!(hidden, json!(true));
    save_screenshot(&client, "widget-furigana.png").await;

    // やさしい日本語: the answer staff wrote for it.
    let easy_toggle = format!(
        "[...{HOST}.querySelectorAll('.tools button')].find(b => b.textContent === 'やさしい')"
    );
    js(&client, &format!("{easy_toggle}.click(); return true;")).await;
    let before = bot_messages(&client).await;
    send(&client, "ごみの分け方を教えて").await;
    wait_until(
        &client,
        &format!("{HOST}.querySelectorAll('.msg.bot').length > {before}"),
        "the easy answer",
    )
    .await;
    let said = js(
        &client,
        &format!("return [...{HOST}.querySelectorAll('.msg.bot')].pop().querySelector('.sr').textContent;"),
    )
    .await;
    assert!(
        said.as_str()
            .unwrap()
            .starts_with("ごみは、もえるごみ、もえないごみ"),
        "{said}"
    );
    save_screenshot(&client, "widget-easy-japanese.png").await;

    // English, chosen in the widget.
    js(
        &client,
        &format!("const s = {HOST}.querySelector('.tools select'); s.value = 'en'; s.dispatchEvent(new Event('change')); return true;"),
    )
    .await;
    let before = bot_messages(&client).await;
    send(&client, "How can I apply for a My Number Card?").await;
    wait_until(
        &client,
        &format!("{HOST}.querySelectorAll('.msg.bot').length > {before}"),
        "the English answer",
    )
    .await;
    let said = js(
        &client,
        &format!("const b = [...{HOST}.querySelectorAll('.msg.bot')].pop(); return (b.querySelector('.sr') || b).textContent;"),
    )
    .await;
    assert!(
        said.as_str()
            .unwrap()
            .contains("You can apply for a My Number Card online"),
        "{said}"
    );
    // The widget's own words follow the language.
    wait_until(
        &client,
        &format!("{HOST}.querySelector('form button').textContent === 'Send'"),
        "the widget in English",
    )
    .await;
    let prompt = js(
        &client,
        &format!("return [...{HOST}.querySelectorAll('.feedback span')].pop().textContent;"),
    )
    .await;
    assert_eq!(prompt, json!("Was this helpful?"));
    save_screenshot(&client, "widget-english.png").await;
}
