//! The layering of settings: defaults < file < environment < flags, key by
//! key, with the source of each value kept for `madoguchi config`.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use toml::{Table, Value};

use super::{AdminUser, ConfigError, Settings};

/// Keys without a default value, which the defaults cannot list.
const OPTIONAL_KEYS: [&str; 4] = [
    "line.channel_secret",
    "line.channel_access_token",
    "store.database_url",
    "store.tls_ca_file",
];

/// Environment variables kept under their older, shorter names.
const ENV_ALIASES: [(&str, &str); 3] = [
    ("web.allowed_origins", "MADOGUCHI_ALLOWED_ORIGINS"),
    ("web.trusted_proxies", "MADOGUCHI_TRUSTED_PROXIES"),
    ("store.database_url", "MADOGUCHI_DATABASE_URL"),
];

/// Staff accounts are tables; one comes from these two variables instead.
const ADMIN_USER_ENV: (&str, &str) = ("MADOGUCHI_ADMIN_USER", "MADOGUCHI_ADMIN_PASSWORD_HASH");

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Env(String),
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(path) => write!(f, "file {}", path.display()),
            Source::Env(name) => write!(f, "env {name}"),
            Source::Flag(name) => write!(f, "flag --{name}"),
        }
    }
}

/// The settings in force, and each key's value and source.
#[derive(Debug)]
pub struct Effective {
    pub settings: Settings,
    /// Every key (`web.requests_per_minute`), in order, with its value as
    /// TOML (`None` when unset) and where it came from.
    pub keys: Vec<(String, Option<Value>, Source)>,
}

impl Effective {
    /// Where `key`'s value came from.
    pub fn source(&self, key: &str) -> Option<&Source> {
        self.keys.iter().find(|(k, ..)| k == key).map(|(.., s)| s)
    }

    /// One line per key, `key = value  # source`, secrets redacted.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (key, value, source) in &self.keys {
            let shown = match value {
                None => "(not set)".to_string(),
                Some(_) if is_secret(key) => "\"(redacted)\"".to_string(),
                Some(Value::Array(items)) if key == "admin.users" => {
                    let names: Vec<String> = items
                        .iter()
                        .filter_map(|u| u.get("name")?.as_str().map(|n| format!("{n:?}")))
                        .collect();
                    format!("[{}]  # names only", names.join(", "))
                }
                Some(value) => value.to_string(),
            };
            out.push_str(&format!("{key} = {shown}  # {source}\n"));
        }
        out
    }
}

fn is_secret(key: &str) -> bool {
    ["secret", "token", "password", "database_url"]
        .iter()
        .any(|word| key.contains(word))
}

/// The environment variables that set `key`, the usual name first.
pub fn env_names(key: &str) -> Vec<String> {
    let mut names = vec![format!(
        "MADOGUCHI_{}",
        key.to_ascii_uppercase().replace('.', "_")
    )];
    names.extend(
        ENV_ALIASES
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, name)| name.to_string()),
    );
    names
}

/// Every settable key with its default value (`None` for optional keys).
pub fn keys_with_defaults() -> Vec<(String, Option<Value>)> {
    let defaults = Value::try_from(Settings::default()).expect("the defaults serialise");
    let mut keys = Vec::new();
    leaves("", &defaults, &mut |key, value| {
        keys.push((key, Some(value.clone())))
    });
    keys.extend(OPTIONAL_KEYS.iter().map(|k| (k.to_string(), None)));
    keys
}

/// Calls `visit` on each key that holds a value other than a table.
fn leaves(prefix: &str, value: &Value, visit: &mut impl FnMut(String, &Value)) {
    match value {
        Value::Table(table) => {
            for (name, value) in table {
                let key = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                leaves(&key, value, visit);
            }
        }
        value => visit(prefix.to_string(), value),
    }
}

fn get<'a>(table: &'a Table, key: &str) -> Option<&'a Value> {
    let (head, rest) = match key.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (key, None),
    };
    match rest {
        None => table.get(head),
        Some(rest) => get(table.get(head)?.as_table()?, rest),
    }
}

fn set(table: &mut Table, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            table.insert(key.to_string(), value);
        }
        Some((head, rest)) => {
            let inner = table
                .entry(head.to_string())
                .or_insert_with(|| Value::Table(Table::new()));
            if !inner.is_table() {
                *inner = Value::Table(Table::new());
            }
            if let Value::Table(inner) = inner {
                set(inner, rest, value);
            }
        }
    }
}

/// Reads an environment variable's text as the kind of value `default` is.
fn parse_env(name: &str, text: &str, default: Option<&Value>) -> Result<Value, ConfigError> {
    let bad = |what: &str| ConfigError::Env(name.to_string(), format!("`{text}` is not {what}"));
    let text = text.trim();
    Ok(match default {
        Some(Value::Integer(_)) => Value::Integer(text.parse().map_err(|_| bad("a whole number"))?),
        Some(Value::Float(_)) => Value::Float(text.parse().map_err(|_| bad("a number"))?),
        Some(Value::Boolean(_)) => Value::Boolean(match text {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => return Err(bad("true or false")),
        }),
        Some(Value::Array(_)) => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_string()))
                .collect(),
        ),
        _ => Value::String(text.to_string()),
    })
}

/// A value given on the command line.
pub(super) struct Flag {
    pub key: &'static str,
    /// The flag's name, without `--`.
    pub name: &'static str,
    pub value: Value,
}

/// Layers the file, the environment and the flags over the defaults.
pub(super) fn layer(
    file: Option<(PathBuf, Table)>,
    env: impl Fn(&str) -> Option<String>,
    flags: &[Flag],
) -> Result<Effective, ConfigError> {
    let keys = keys_with_defaults();
    let mut merged = match Value::try_from(Settings::default()) {
        Ok(Value::Table(table)) => table,
        _ => Table::new(),
    };
    let mut sources: Vec<(String, Source)> = keys
        .iter()
        .map(|(key, _)| (key.clone(), Source::Default))
        .collect();
    let mut record = |key: &str, source: Source| match sources.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = source,
        None => sources.push((key.to_string(), source)),
    };
    if let Some((path, table)) = file {
        leaves("", &Value::Table(table), &mut |key, value| {
            set(&mut merged, &key, value.clone());
            record(&key, Source::File(path.clone()));
        });
    }
    for (key, default) in &keys {
        if key == "admin.users" {
            continue;
        }
        if let Some((name, text)) = env_names(key)
            .into_iter()
            .find_map(|name| Some((name.clone(), env(&name)?)))
        {
            set(&mut merged, key, parse_env(&name, &text, default.as_ref())?);
            record(key, Source::Env(name));
        }
    }
    if let (Some(name), Some(password_hash)) = (env(ADMIN_USER_ENV.0), env(ADMIN_USER_ENV.1)) {
        let mut users = get(&merged, "admin.users")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        users.push(
            Value::try_from(AdminUser {
                name,
                password_hash,
                role: Default::default(),
                departments: Vec::new(),
            })
            .expect("a user serialises"),
        );
        set(&mut merged, "admin.users", Value::Array(users));
        record("admin.users", Source::Env(ADMIN_USER_ENV.0.to_string()));
    }
    for flag in flags {
        set(&mut merged, flag.key, flag.value.clone());
        record(flag.key, Source::Flag(flag.name.to_string()));
    }
    let settings = Settings::deserialize(Value::Table(merged.clone()))
        .map_err(|err| ConfigError::Invalid(format!("the settings do not fit together: {err}")))?;
    let keys = sources
        .into_iter()
        .map(|(key, source)| {
            let value = get(&merged, &key).cloned();
            (key, value, source)
        })
        .collect();
    Ok(Effective { settings, keys })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;
    use std::collections::HashMap;

    /// A value of `default`'s kind that differs from it and from the other
    /// layers' (`layer` 1 = file, 2 = env, 3 = flag).
    fn value_for(key: &str, default: Option<&Value>, layer: i64) -> Value {
        match (key, default) {
            ("bind", _) => Value::String(format!("127.0.0.1:{}", 9000 + layer)),
            ("web.trusted_proxies", _) => {
                Value::Array(vec![Value::String(format!("10.{layer}.0.0/16"))])
            }
            (_, Some(Value::Integer(n))) => Value::Integer(n + layer),
            (_, Some(Value::Float(x))) => Value::Float(x + layer as f64 / 64.0),
            (_, Some(Value::Boolean(b))) => Value::Boolean(if layer == 1 { !b } else { *b }),
            (_, Some(Value::Array(_))) => {
                Value::Array(vec![Value::String(format!("https://layer{layer}.example"))])
            }
            _ => Value::String(format!("layer-{layer}")),
        }
    }

    fn env_text(value: &Value) -> String {
        match value {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        }
    }

    fn flag_for(key: &str, value: &Value, overrides: &mut Overrides) -> bool {
        let text = value.as_str().unwrap_or_default();
        match key {
            "bind" => overrides.bind = text.parse().ok(),
            "data_dir" => overrides.data_dir = Some(text.into()),
            "faq_dir" => overrides.faq_dir = Some(text.into()),
            "dictionaries_dir" => overrides.dictionaries_dir = Some(text.into()),
            _ => return false,
        }
        true
    }

    /// Every key, in every combination of layers: the later layer wins,
    /// the settings hold its value, and the source says which it was.
    #[test]
    fn every_key_is_layered_defaults_file_env_flag() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<_> = keys_with_defaults()
            .into_iter()
            .filter(|(key, _)| key != "admin.users" && key != "handoff.webhooks")
            .collect();
        assert!(keys.len() > 40, "{} keys", keys.len());
        let mut flagged = 0;
        for (key, default) in &keys {
            let file_value = value_for(key, default.as_ref(), 1);
            let mut table = Table::new();
            set(&mut table, key, file_value.clone());
            let path = dir.path().join("madoguchi.toml");
            std::fs::write(&path, toml::to_string(&table).unwrap()).unwrap();
            let env_value = value_for(key, default.as_ref(), 2);
            let env_name = env_names(key).remove(0);
            let environment: HashMap<String, String> =
                HashMap::from([(env_name.clone(), env_text(&env_value))]);
            let no_env = |_: &str| None;
            let with_env = |name: &str| environment.get(name).cloned();
            let file = Overrides {
                config: Some(path.clone()),
                ..Overrides::default()
            };
            let none = Overrides {
                config: Some(dir.path().join("empty.toml")),
                ..Overrides::default()
            };
            std::fs::write(dir.path().join("empty.toml"), "").unwrap();

            let check = |effective: &Effective, expected: Option<&Value>, source: &Source| {
                let settings = Value::try_from(&effective.settings).unwrap();
                let held = get(settings.as_table().unwrap(), key);
                assert_eq!(held, expected, "{key}: the settings hold another value");
                assert_eq!(effective.source(key), Some(source), "{key}: source");
            };
            let defaults = Settings::load_effective(&none, no_env).unwrap();
            check(&defaults, default.as_ref(), &Source::Default);
            let from_file = Settings::load_effective(&file, no_env).unwrap();
            check(&from_file, Some(&file_value), &Source::File(path.clone()));
            let from_env = Settings::load_effective(&file, with_env).unwrap();
            check(&from_env, Some(&env_value), &Source::Env(env_name.clone()));
            let flag_value = value_for(key, default.as_ref(), 3);
            let mut flags = file.clone();
            if flag_for(key, &flag_value, &mut flags) {
                flagged += 1;
                let from_flag = Settings::load_effective(&flags, with_env).unwrap();
                let name = from_flag.source(key).cloned();
                assert!(matches!(name, Some(Source::Flag(_))), "{key}: {name:?}");
                check(&from_flag, Some(&flag_value), name.as_ref().unwrap());
            }
        }
        assert_eq!(
            flagged, 4,
            "bind, data_dir, faq_dir and dictionaries_dir have flags"
        );
    }

    #[test]
    fn staff_come_from_the_file_and_one_more_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("madoguchi.toml");
        std::fs::write(
            &path,
            "[[admin.users]]\nname = \"a\"\npassword_hash = \"$argon2id$x\"\n",
        )
        .unwrap();
        let environment = HashMap::from([
            ("MADOGUCHI_ADMIN_USER".to_string(), "b".to_string()),
            (
                "MADOGUCHI_ADMIN_PASSWORD_HASH".to_string(),
                "$argon2id$y".to_string(),
            ),
            (
                "MADOGUCHI_LINE_CHANNEL_SECRET".to_string(),
                "s3cret".to_string(),
            ),
        ]);
        let overrides = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let effective =
            Settings::load_effective(&overrides, |name| environment.get(name).cloned()).unwrap();
        let names: Vec<&str> = effective
            .settings
            .admin
            .users
            .iter()
            .map(|u| u.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let shown = effective.render();
        assert!(
            shown.contains("admin.users = [\"a\", \"b\"]  # names only"),
            "{shown}"
        );
        assert!(
            shown.contains(
                "line.channel_secret = \"(redacted)\"  # env MADOGUCHI_LINE_CHANNEL_SECRET"
            ),
            "{shown}"
        );
        assert!(
            !shown.contains("s3cret") && !shown.contains("$argon2id$"),
            "{shown}"
        );
        assert!(
            shown.contains("line.channel_access_token = (not set)  # default"),
            "{shown}"
        );
    }

    #[test]
    fn bad_values_name_their_variable_or_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("madoguchi.toml");
        std::fs::write(&path, "").unwrap();
        let overrides = Overrides {
            config: Some(path.clone()),
            ..Overrides::default()
        };
        let err = Settings::load_effective(&overrides, |name| {
            (name == "MADOGUCHI_WEB_REQUESTS_PER_MINUTE").then(|| "many".to_string())
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("MADOGUCHI_WEB_REQUESTS_PER_MINUTE") && err.contains("whole number"),
            "{err}"
        );
        std::fs::write(&path, "[web]\ntrusted_proxies = [\"10.0.0.0/40\"]\n").unwrap();
        let err = Settings::load_effective(&overrides, |_| None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("web.trusted_proxies") && err.contains("10.0.0.0/40"),
            "{err}"
        );
    }
}
