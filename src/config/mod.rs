//! Settings for every command: built-in defaults, then `madoguchi.toml` (or
//! `--config`), then `MADOGUCHI_*` environment variables, then flags. Every
//! key takes part in the same layering, and each value remembers where it
//! came from (`madoguchi config` prints them).

mod layers;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use layers::{Effective, Source, env_names, keys_with_defaults};

use crate::engine::Policy;
use crate::index::Weights;

/// The config file read when none is named and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "madoguchi.toml";

/// Everything the server needs to run.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Where the SQLite database (and its pseudonym key) is kept.
    pub data_dir: PathBuf,
    pub faq_dir: PathBuf,
    pub dictionaries_dir: PathBuf,
    /// A conversation (offered choices, the flow step, the last answer) is
    /// forgotten after this many idle minutes.
    pub conversation_idle_minutes: u64,
    /// At most about this many conversations are remembered at once; past
    /// it the least recently active are forgotten first.
    pub max_conversations: usize,
    pub web: WebSettings,
    pub line: LineSettings,
    pub log: LogSettings,
    pub store: StoreSettings,
    pub admin: AdminSettings,
    pub handoff: HandoffSettings,
    pub policy: Policy,
    pub weights: Weights,
}

/// Handing a conversation to staff (有人対応).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandoffSettings {
    /// The departments (ids in departments.yaml) whose staff answer
    /// residents in chat, in their counter's opening hours; none: handoff
    /// is off.
    pub departments: Vec<String>,
    /// Incoming webhooks of staff's chat tools (LINE WORKS, Teams, Slack or
    /// any HTTP receiver of JSON), told of each new ticket of a department.
    pub webhooks: Vec<HandoffWebhook>,
    /// Said before the conversation is handed over.
    pub privacy_notice: String,
    /// A ticket with nothing from either side for this long is closed (a
    /// message left outside office hours waits for staff instead).
    pub idle_minutes: u64,
    /// Where the staff pages are, for the links in notices to staff
    /// (`https://chat.example.jp`); empty: the notice carries the path.
    pub admin_url: String,
    /// Attempts to deliver a notice to staff's chat tool.
    pub notice_attempts: u32,
    /// Wait before retrying a notice, doubled at each retry.
    pub notice_backoff_ms: u64,
}

/// Where a department's staff are told of new tickets.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffWebhook {
    /// The department's id in departments.yaml.
    pub department: String,
    pub url: String,
}

impl Default for HandoffSettings {
    fn default() -> Self {
        HandoffSettings {
            departments: Vec::new(),
            webhooks: Vec::new(),
            privacy_notice: "個人情報を守るため、マイナンバー、パスワード、カードの番号はチャットに書かないでください。".into(),
            idle_minutes: 30,
            admin_url: String::new(),
            notice_attempts: 6,
            notice_backoff_ms: 2_000,
        }
    }
}

/// The staff pages under `/admin`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// Who may sign in; passwords as argon2 hashes from
    /// `madoguchi hash-password`.
    pub users: Vec<AdminUser>,
    /// Sessions end after this many hours.
    pub session_hours: u64,
    /// Send the session cookie over HTTPS only. Turn off only to try the
    /// admin pages over plain HTTP on another machine.
    pub secure_cookie: bool,
    /// Check the content directories for changes this often, in
    /// milliseconds; 0 turns the watch off (the reload button still works).
    pub watch_interval_ms: u64,
    /// Sign-in attempts allowed per minute from one address; more get 429.
    pub sign_ins_per_minute: u32,
    /// An editor's draft is published only by an approver who is not its
    /// author (二重チェック).
    pub require_second_approver: bool,
    /// Sign-in attempts allowed per hour for one user name, from anywhere:
    /// guessing one password from many addresses is slowed down too, while
    /// other staff can still sign in.
    pub sign_ins_per_account_per_hour: u32,
}

/// One member of staff.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminUser {
    pub name: String,
    pub password_hash: String,
    /// What they may do; `admin` when not said.
    #[serde(default)]
    pub role: Role,
    /// Department ids whose entries an editor may change and whose
    /// unanswered questions come first; empty means all.
    #[serde(default)]
    pub departments: Vec<String>,
}

/// What a member of staff may do with content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Writes drafts (for their departments).
    Editor,
    /// Also publishes drafts and restores revisions.
    Approver,
    /// Everything, the audit log included.
    #[default]
    Admin,
}

impl Role {
    /// Whether the role may publish and restore.
    pub fn approves(self) -> bool {
        matches!(self, Role::Approver | Role::Admin)
    }
}

impl Default for AdminSettings {
    fn default() -> Self {
        AdminSettings {
            users: Vec::new(),
            session_hours: 8,
            secure_cookie: true,
            watch_interval_ms: 1000,
            sign_ins_per_minute: 5,
            sign_ins_per_account_per_hour: 20,
            require_second_approver: false,
        }
    }
}

/// The query log.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// Queries older than this many days are deleted (checked hourly);
    /// 0 keeps them for ever.
    pub retention_days: u32,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            retention_days: 365,
        }
    }
}

/// Where shared state is kept: SQLite in `data_dir` unless `database_url`
/// names a PostgreSQL database, which any number of replicas share.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// `postgresql://USER:PASSWORD@HOST:PORT/DATABASE`; unset keeps SQLite.
    pub database_url: Option<String>,
    /// Connections to PostgreSQL each server keeps at most.
    pub connections: u32,
    /// A PEM file with the CA certificate that signed the database server's
    /// (besides the system's roots), for TLS (`sslmode=require` in the URL
    /// insists on it).
    pub tls_ca_file: Option<PathBuf>,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            database_url: None,
            connections: 16,
            tls_ca_file: None,
        }
    }
}

/// The LINE channel: enabled when `channel_secret` is set.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LineSettings {
    /// The channel secret, which signs webhook requests.
    pub channel_secret: Option<String>,
    /// The channel access token, for calls to the Messaging API.
    pub channel_access_token: Option<String>,
    /// Where the Messaging API is.
    pub api_base: String,
    /// Where the Messaging API takes uploads (rich menu images).
    pub data_api_base: String,
    /// Send a push message when a reply token has expired. Push messages
    /// count against the account's monthly message quota.
    pub push_fallback: bool,
    /// Largest webhook body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Events waiting to be answered in the queue (which every replica
    /// shares), at most; a webhook that would exceed it gets 503 so that
    /// LINE delivers it again later.
    pub queue_capacity: usize,
    /// Events this server answers concurrently (one chat's events are
    /// answered in order, across replicas too).
    pub workers: usize,
    /// Attempts per Messaging API call when LINE answers 429 or 5xx.
    pub max_attempts: u32,
    /// Wait before the first retry, doubled at each retry.
    pub initial_backoff_ms: u64,
    /// Longest wait between retries.
    pub max_backoff_ms: u64,
    /// Show the loading animation when an event has waited this long.
    pub loading_after_ms: u64,
    /// Time allowed for one call to the Messaging API.
    pub request_timeout_ms: u64,
}

impl LineSettings {
    /// Whether the LINE webhook is served.
    pub fn enabled(&self) -> bool {
        self.channel_secret
            .as_deref()
            .is_some_and(|s| !s.is_empty())
    }
}

impl Default for LineSettings {
    fn default() -> Self {
        LineSettings {
            channel_secret: None,
            channel_access_token: None,
            api_base: "https://api.line.me".into(),
            data_api_base: "https://api-data.line.me".into(),
            push_fallback: false,
            max_body_bytes: 1024 * 1024,
            queue_capacity: 10_000,
            workers: 32,
            max_attempts: 5,
            initial_backoff_ms: 500,
            max_backoff_ms: 8_000,
            loading_after_ms: 1_000,
            request_timeout_ms: 10_000,
        }
    }
}

/// Limits and access rules of the website channel.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSettings {
    /// Origins (`https://www.city.example.jp`) whose pages may call the API
    /// from the browser. The server's own pages always may.
    pub allowed_origins: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest question accepted, in characters.
    pub max_text_chars: usize,
    /// Requests per minute allowed from one client address.
    pub requests_per_minute: u32,
    /// Reverse proxies (CIDRs or addresses) whose `X-Forwarded-For` and
    /// `Forwarded` headers name the client; requests from anywhere else
    /// are counted against their own address.
    pub trusted_proxies: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            faq_dir: PathBuf::from("faq"),
            dictionaries_dir: PathBuf::from("dictionaries"),
            conversation_idle_minutes: 30,
            max_conversations: 50_000,
            web: WebSettings::default(),
            line: LineSettings::default(),
            log: LogSettings::default(),
            store: StoreSettings::default(),
            admin: AdminSettings::default(),
            handoff: HandoffSettings::default(),
            policy: Policy::default(),
            weights: Weights::default(),
        }
    }
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            allowed_origins: Vec::new(),
            max_body_bytes: 16 * 1024,
            max_text_chars: 500,
            requests_per_minute: 120,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Problems reading the settings.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Parse(PathBuf, String),
    #[error("environment variable {0}: {1}")]
    Env(String, String),
    #[error("{0}")]
    Invalid(String),
}

/// Values given on the command line, which win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The config file (else `madoguchi.toml` when it exists).
    pub config: Option<PathBuf>,
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub faq_dir: Option<PathBuf>,
    pub dictionaries_dir: Option<PathBuf>,
}

impl Overrides {
    /// The flags given.
    fn flags(&self) -> Vec<layers::Flag> {
        let path = |p: &PathBuf| toml::Value::String(p.display().to_string());
        [
            (
                "bind",
                "bind",
                self.bind.map(|b| toml::Value::String(b.to_string())),
            ),
            ("data_dir", "data-dir", self.data_dir.as_ref().map(path)),
            ("faq_dir", "faq", self.faq_dir.as_ref().map(path)),
            (
                "dictionaries_dir",
                "dictionaries",
                self.dictionaries_dir.as_ref().map(path),
            ),
        ]
        .into_iter()
        .filter_map(|(key, name, value)| {
            Some(layers::Flag {
                key,
                name,
                value: value?,
            })
        })
        .collect()
    }
}

impl Settings {
    /// Reads the named config file, or `madoguchi.toml` if it exists, then
    /// the environment, then the flags.
    pub fn load(overrides: &Overrides) -> Result<Settings, ConfigError> {
        Ok(Settings::load_effective(overrides, |name| std::env::var(name).ok())?.settings)
    }

    /// Like [`Settings::load`], with where each value came from; `env`
    /// reads an environment variable.
    pub fn load_effective(
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Effective, ConfigError> {
        let path = overrides.config.clone().or_else(|| {
            Path::new(DEFAULT_CONFIG_FILE)
                .exists()
                .then(|| PathBuf::from(DEFAULT_CONFIG_FILE))
        });
        let file = match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|err| ConfigError::Read(path.clone(), err))?;
                // Parsed on its own first, so that its mistakes are named
                // with the file.
                Settings::from_toml(&path, &text)?;
                let table: toml::Table = toml::from_str(&text)
                    .map_err(|err| ConfigError::Parse(path.clone(), err.to_string()))?;
                Some((path, table))
            }
            None => None,
        };
        let effective = layers::layer(file, env, &overrides.flags())?;
        crate::client::TrustedProxies::new(&effective.settings.web.trusted_proxies)
            .map_err(|err| ConfigError::Invalid(format!("web.trusted_proxies: {err}")))?;
        Ok(effective)
    }

    /// Parses a config file's text; `path` names it in errors.
    pub fn from_toml(path: &Path, text: &str) -> Result<Settings, ConfigError> {
        toml::from_str(text).map_err(|err| ConfigError::Parse(path.to_path_buf(), err.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let settings = Settings::from_toml(
            Path::new("madoguchi.toml"),
            "bind = \"0.0.0.0:9000\"\n[web]\nmax_text_chars = 200\n[policy]\nanswer_coverage = 0.7\n",
        )
        .unwrap();
        assert_eq!(settings.bind.port(), 9000);
        assert_eq!(settings.web.max_text_chars, 200);
        assert_eq!(
            settings.web.max_body_bytes,
            WebSettings::default().max_body_bytes
        );
        assert_eq!(settings.policy.answer_coverage, 0.7);
        assert_eq!(settings.faq_dir, PathBuf::from("faq"));
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_file() {
        let err = Settings::from_toml(Path::new("madoguchi.toml"), "bnd = \"0.0.0.0:9000\"\n")
            .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("madoguchi.toml: "), "{text}");
        assert!(text.contains("bnd"), "{text}");
    }
}
