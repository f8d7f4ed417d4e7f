//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod line_api;
pub mod nginx;
pub mod postgres;

use std::fs;
use std::path::{Path, PathBuf};

use madoguchi::config::Settings;
use madoguchi::engine::{Engine, Policy};
use madoguchi::index::Weights;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo engine over `faq/` and `dictionaries/`.
pub fn demo_engine() -> Engine {
    let (engine, _) = Engine::load(
        &root().join("faq"),
        &root().join("dictionaries"),
        Policy::default(),
        Weights::default(),
    )
    .expect("the demo content loads");
    engine
}

/// Settings for a server on a free loopback port serving the demo content,
/// with its database in `data_dir`.
pub fn settings(data_dir: &Path) -> Settings {
    Settings {
        bind: "127.0.0.1:0".parse().expect("an address"),
        data_dir: data_dir.to_path_buf(),
        faq_dir: root().join("faq"),
        dictionaries_dir: root().join("dictionaries"),
        ..Settings::default()
    }
}

/// A copy of the demo `faq/` directory in a temporary directory, to break.
pub struct FaqCopy {
    pub dir: tempfile::TempDir,
}

impl FaqCopy {
    pub fn new() -> FaqCopy {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(&root().join("faq"), dir.path());
        FaqCopy { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces the first occurrence of `from` by `to` in `file`.
    pub fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.dir.path().join(file);
        let text = fs::read_to_string(&path).expect("readable");
        assert!(text.contains(from), "{file} does not contain {from:?}");
        fs::write(&path, text.replacen(from, to, 1)).expect("writable");
    }

    pub fn write(&self, file: &str, text: &str) {
        fs::write(self.dir.path().join(file), text).expect("writable");
    }

    /// The 1-based line of the first line containing `needle` in `file`.
    pub fn line_of(&self, file: &str, needle: &str) -> usize {
        let text = fs::read_to_string(self.dir.path().join(file)).expect("readable");
        text.lines()
            .position(|l| l.contains(needle))
            .expect("present")
            + 1
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create");
    for item in fs::read_dir(from).expect("list") {
        let item = item.expect("entry");
        let target = to.join(item.file_name());
        if item.path().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            fs::copy(item.path(), target).expect("copy");
        }
    }
}

/// Signs in to the staff pages at `url` (the server's base URL) as `user`,
/// through the form as a browser does; returns the session cookie
/// (`name=value`). `client` must not follow redirects.
pub async fn sign_in(client: &reqwest::Client, url: &str, user: &str, password: &str) -> String {
    let form = client
        .get(format!("{url}/admin/login"))
        .send()
        .await
        .unwrap();
    let login_cookie = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = form.text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("a CSRF token") + marker.len();
    let csrf = &page[start..start + 40];
    let signed_in = client
        .post(format!("{url}/admin/login"))
        .header("cookie", login_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([("user", user), ("password", password), ("csrf", csrf)])
                .finish(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("madoguchi_admin="))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// The page at `url`, signed in with `session` (a cookie, or nothing).
pub async fn page(client: &reqwest::Client, url: &str, session: &str) -> String {
    client
        .get(url)
        .header("cookie", session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Staff with these names and roles, all with `password`.
pub fn staff(
    members: &[(&str, madoguchi::config::Role)],
    password: &str,
) -> Vec<madoguchi::config::AdminUser> {
    let hash = madoguchi::admin::auth::hash_password(password).unwrap();
    members
        .iter()
        .map(|(name, role)| madoguchi::config::AdminUser {
            name: name.to_string(),
            password_hash: hash.clone(),
            role: *role,
            departments: Vec::new(),
        })
        .collect()
}

/// The CSRF token of the staff page at `url`.
pub async fn page_csrf(client: &reqwest::Client, url: &str, session: &str) -> String {
    let page = page(client, url, session).await;
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("a CSRF token") + marker.len();
    page[start..start + 40].to_string()
}

/// A form post with the session cookie; returns the status and where it
/// redirects.
pub async fn post_form(
    client: &reqwest::Client,
    url: &str,
    session: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let response = client
        .post(url)
        .header("cookie", session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        )
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (response.status().as_u16(), location)
}

/// Disaster mode's notice as the widget reads it from the server at
/// `url`: null while the mode is off.
pub async fn disaster_notice(client: &reqwest::Client, url: &str) -> serde_json::Value {
    client
        .get(format!("{url}/api/v1/notice"))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["notice"]
        .clone()
}

/// Posts a LINE webhook body to the server at `url`, signed with the
/// channel secret as LINE signs it; the status.
pub async fn deliver_line(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: &serde_json::Value,
) -> u16 {
    let bytes = serde_json::to_vec(body).unwrap();
    client
        .post(format!("{url}/webhooks/line"))
        .header("content-type", "application/json")
        .header(
            "x-line-signature",
            madoguchi::channels::line::signature::sign(secret, &bytes),
        )
        .body(bytes)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// POSTs `body` as JSON to `url` and reads the JSON answer.
pub async fn post_json(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    client
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A free port on 127.0.0.1 (free when asked: bind it soon).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
