//! LINE's rich menus and disaster mode, black-box: a server with LINE on a
//! random loopback port, the LINE API stand-in on another, and the
//! `madoguchi` command run as an operator would, on the same config.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use common::FaqCopy;
use common::line_api::LineApi;
use madoguchi::channels::line::webhook::PostbackData;
use madoguchi::config::Role;
use madoguchi::engine::ChoiceValue;
use madoguchi::server::Application;
use serde_json::{Value, json};

const SECRET: &str = "test-channel-secret";
const TOKEN: &str = "test-access-token";
const STAFF: &str = "bosai";
const EDITOR: &str = "henshu";
/// Reads the audit log.
const ADMIN: &str = "kanri";
const PASSWORD: &str = "correct horse battery staple";
const NOTICE: &str = "大雨のため避難指示が出ています。";
const LINK: &str = "https://example.org/bousai";
const WAIT: Duration = Duration::from_secs(20);

struct City {
    address: SocketAddr,
    api: LineApi,
    faq: FaqCopy,
    config: PathBuf,
    client: reqwest::Client,
    _data: tempfile::TempDir,
}

impl City {
    async fn start() -> City {
        let api = LineApi::start(TOKEN);
        let faq = FaqCopy::new();
        let data = tempfile::tempdir().unwrap();
        let mut settings = common::settings(data.path());
        settings.faq_dir = faq.path().to_path_buf();
        settings.line.channel_secret = Some(SECRET.into());
        settings.line.channel_access_token = Some(TOKEN.into());
        settings.line.api_base = api.base();
        settings.line.data_api_base = api.base();
        settings.line.loading_after_ms = 60_000;
        settings.admin.users = common::staff(
            &[
                (STAFF, Role::Approver),
                (EDITOR, Role::Editor),
                (ADMIN, Role::Admin),
            ],
            PASSWORD,
        );
        // The operator's config: the same data, content and account.
        let config = data.path().join("madoguchi.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\nfaq_dir = {:?}\ndictionaries_dir = {:?}\n[line]\nchannel_access_token = {TOKEN:?}\napi_base = {:?}\ndata_api_base = {:?}\n",
                data.path(),
                faq.path(),
                common::root().join("dictionaries"),
                api.base(),
                api.base()
            ),
        )
        .unwrap();
        let app = Application::build(settings).expect("server starts");
        let address = app.address();
        tokio::spawn(app.run_until_stopped());
        City {
            address,
            api,
            faq,
            config,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            _data: data,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `madoguchi --config <the operator's config> args…`, off the runtime
    /// (the stand-in answers on it).
    async fn madoguchi(&self, args: &[&str]) -> (bool, String) {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"));
        command.arg("--config").arg(&self.config).args(args);
        let output: Output = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr);
        (output.status.success(), text)
    }

    async fn apply_menus(&self) -> String {
        let (ok, text) = self.madoguchi(&["line", "rich-menu", "apply"]).await;
        assert!(ok, "{text}");
        text
    }

    /// A web chat turn.
    async fn web(&self, text: &str) -> Value {
        let url = format!("{}/api/v1/chat", self.url());
        common::post_json(&self.client, &url, &json!({ "text": text })).await
    }

    async fn web_notice(&self) -> Value {
        common::disaster_notice(&self.client, &self.url()).await
    }

    /// Sends a resident's LINE message and returns the texts of the reply's
    /// messages, in order.
    async fn line(&self, text: &str) -> Vec<String> {
        let before = self.api.received().len();
        let n = before + 1;
        let body = json!({ "destination": "Ubot", "events": [{
            "type": "message", "mode": "active", "timestamp": 1_700_000_000_000u64 + n as u64,
            "webhookEventId": format!("01DISASTER{n:04}"),
            "deliveryContext": { "isRedelivery": false },
            "source": { "type": "user", "userId": format!("U{n:032x}") },
            "replyToken": format!("token-{n}"),
            "message": { "type": "text", "id": format!("{n}"), "quoteToken": "q", "text": text }
        }]});
        let status = common::deliver_line(&self.client, &self.url(), SECRET, &body).await;
        assert_eq!(status, 200);
        let replies = self.api.wait_for("reply", n, WAIT).await;
        replies[n - 1].body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                m["text"]
                    .as_str()
                    .or(m["altText"].as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }

    /// Posts the disaster form as `user`; returns the status and where it
    /// leads.
    async fn switch(&self, user: &str, form: &[(&str, &str)]) -> (u16, String) {
        let session = common::sign_in(&self.client, &self.url(), user, PASSWORD).await;
        let url = format!("{}/admin/disaster", self.url());
        let csrf = common::page_csrf(&self.client, &url, &session).await;
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        common::post_form(&self.client, &url, &session, &fields).await
    }

    /// Waits until the widget's notice is `wanted` (`null` for off).
    async fn notice_becomes(&self, on: bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let notice = self.web_notice().await;
            if notice.is_null() != on {
                return notice;
            }
            assert!(Instant::now() < deadline, "the notice stayed {notice}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The mutating calls the stand-in has accepted so far.
    fn changes(&self) -> Vec<&'static str> {
        self.api
            .attempts()
            .into_iter()
            .filter(|(endpoint, _)| {
                endpoint.starts_with("richmenu")
                    && !endpoint.ends_with(".list")
                    && !endpoint.ends_with(".get")
            })
            .map(|(endpoint, _)| endpoint)
            .collect()
    }
}

/// The menu's area labelled `label`.
fn area<'a>(menu: &'a Value, label: &str) -> &'a Value {
    menu["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"]["label"] == label)
        .unwrap_or_else(|| panic!("no area 「{label}」 in {menu}"))
}

#[tokio::test]
async fn rich_menu_apply_creates_both_menus_sets_the_default_and_is_idempotent() {
    let city = City::start().await;

    let (ok, dry) = city
        .madoguchi(&["line", "rich-menu", "apply", "--dry-run"])
        .await;
    assert!(ok, "{dry}");
    assert!(dry.contains("would create the menu `normal`"), "{dry}");
    assert!(dry.contains("would create the menu `disaster`"), "{dry}");
    assert!(
        dry.contains("would show the menu `normal` to everyone"),
        "{dry}"
    );
    assert!(
        city.api.rich_menus().menus.is_empty(),
        "a dry run changes nothing"
    );
    assert!(city.changes().is_empty());

    city.apply_menus().await;
    let shown = city.api.rich_menus();
    assert_eq!(shown.menus.len(), 2, "{shown:?}");
    let normal = shown.default.clone().expect("a default menu");
    assert!(normal.starts_with("madoguchi normal "), "{shown:?}");
    assert_eq!(
        shown.aliases.keys().collect::<Vec<_>>(),
        ["madoguchi-disaster", "madoguchi-normal"]
    );
    assert_eq!(shown.aliases["madoguchi-normal"], normal);
    // The areas do what the YAML says.
    let menu = city.api.rich_menu_object(&normal).unwrap();
    let tab = &area(&menu, "防災")["action"];
    assert_eq!(tab["type"], "richmenuswitch");
    assert_eq!(tab["richMenuAliasId"], "madoguchi-disaster");
    let category = &area(&menu, "子育て")["action"];
    assert_eq!(
        PostbackData::decode(category["data"].as_str().unwrap()),
        Some(PostbackData::Choice(ChoiceValue::Category("子育て".into())))
    );
    assert_eq!(category["displayText"], "子育て");

    // Again: nothing to change, nothing changed.
    let changes = city.changes().len();
    let again = city.apply_menus().await;
    assert!(again.contains("nothing to change"), "{again}");
    assert_eq!(city.changes().len(), changes, "{:?}", city.changes());
    assert_eq!(city.api.rich_menus(), shown);

    // A changed menu: a new version, the alias and default moved to it,
    // the old one deleted; the disaster menu untouched.
    city.faq
        .edit("line/rich-menus.yaml", "label: 税金", "label: 税金・保険料");
    let text = city.apply_menus().await;
    for step in [
        "create the menu `normal`",
        "point the alias madoguchi-normal at the new menu `normal`",
        "show the menu `normal` to everyone",
        "delete the old menu madoguchi normal ",
    ] {
        assert!(text.contains(step), "no `{step}` in:\n{text}");
    }
    assert!(!text.contains("`disaster`"), "{text}");
    let updated = city.api.rich_menus();
    assert_eq!(updated.menus.len(), 2, "{updated:?}");
    assert_ne!(updated.default, shown.default);
    assert_eq!(
        updated.aliases["madoguchi-disaster"],
        shown.aliases["madoguchi-disaster"]
    );
}

#[tokio::test]
async fn disaster_mode_prefixes_answers_in_both_channels_switches_the_menu_and_is_logged() {
    let city = City::start().await;
    city.apply_menus().await;
    let normal = city.api.rich_menus().default.unwrap();
    let question = "市の情報を受け取りたい";
    let engine = common::demo_engine();
    let disaster = |id: &Value| {
        engine
            .content()
            .entry(id.as_str().unwrap())
            .is_some_and(|e| e.disaster)
    };
    let before = city.web(question).await;
    assert!(before.get("notice").is_none(), "{before}");
    assert!(!disaster(&before["choices"][0]["value"]["id"]), "{before}");

    // Editors may not switch it.
    let (status, _) = city
        .switch(EDITOR, &[("action", "on"), ("notice", NOTICE)])
        .await;
    assert_eq!(status, 403);
    assert!(city.web_notice().await.is_null());

    let (status, location) = city
        .switch(
            STAFF,
            &[("action", "on"), ("notice", NOTICE), ("link", LINK)],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/disaster?done=on&line=switched")
    );
    let shown = city.api.rich_menus();
    assert!(
        shown
            .default
            .as_deref()
            .unwrap()
            .starts_with("madoguchi disaster "),
        "{shown:?}"
    );

    let notice = city.web_notice().await;
    assert_eq!(notice["text"], NOTICE);
    assert_eq!(notice["link"], LINK);
    let during = city.web(question).await;
    assert_eq!(during["notice"]["text"], NOTICE, "{during}");
    assert!(disaster(&during["choices"][0]["value"]["id"]), "{during}");
    let line = city.line("住民票をコンビニで取りたい").await;
    assert_eq!(line[0], format!("【災害情報】{NOTICE}\n{LINK}"), "{line:?}");
    assert!(line.len() > 1, "the answer follows the notice: {line:?}");

    let (status, location) = city.switch(STAFF, &[("action", "off")]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/disaster?done=off&line=switched")
    );
    assert_eq!(
        city.api.rich_menus().default.as_deref(),
        Some(normal.as_str())
    );
    assert!(city.web_notice().await.is_null());
    let after = city.web(question).await;
    assert!(after.get("notice").is_none(), "{after}");
    assert_eq!(after["choices"], before["choices"]);
    let line = city.line("住民票をコンビニで取りたい").await;
    assert!(!line[0].contains("災害情報"), "{line:?}");

    let session = common::sign_in(&city.client, &city.url(), ADMIN, PASSWORD).await;
    let audit = common::page(
        &city.client,
        &format!("{}/admin/audit", city.url()),
        &session,
    )
    .await;
    let on = audit.find("disaster_on").expect("the switch on is logged");
    let off = audit
        .find("disaster_off")
        .expect("the switch off is logged");
    assert!(off < on, "newest first");
    assert!(audit.contains(NOTICE));
    assert!(audit[..on].contains(STAFF));
}

#[tokio::test]
async fn the_command_switches_a_running_server_and_the_menu() {
    let city = City::start().await;
    city.apply_menus().await;

    let (ok, text) = city
        .madoguchi(&["disaster", "on", "--notice", NOTICE, "--by", "kiki-kanri"])
        .await;
    assert!(ok, "{text}");
    assert!(text.contains("LINE shows the `disaster` menu"), "{text}");
    let notice = city.notice_becomes(true).await;
    assert_eq!(notice["text"], NOTICE);
    assert!(notice["link"].is_null());
    assert!(
        city.api
            .rich_menus()
            .default
            .unwrap()
            .starts_with("madoguchi disaster ")
    );
    let (_, status) = city.madoguchi(&["disaster", "status"]).await;
    assert!(
        status.starts_with("on since ") && status.contains("(by kiki-kanri)"),
        "{status}"
    );

    // Applying the menus now keeps the disaster menu shown.
    let again = city.apply_menus().await;
    assert!(again.contains("nothing to change"), "{again}");

    let (ok, text) = city.madoguchi(&["disaster", "off"]).await;
    assert!(ok, "{text}");
    city.notice_becomes(false).await;
    assert!(
        city.api
            .rich_menus()
            .default
            .unwrap()
            .starts_with("madoguchi normal ")
    );

    let (ok, refused) = city.madoguchi(&["disaster", "on", "--notice", " "]).await;
    assert!(!ok);
    assert!(
        refused.contains("the notice must be 1 to 200 characters"),
        "{refused}"
    );
}
