//! A thin client of the Messaging API: reply, push and the loading
//! animation, with retries on 429 and 5xx.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use serde::Serialize;

use super::messages::Message;
use crate::config::LineSettings;
use crate::metrics::Metrics;

/// Why a call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The reply token was never used by us and LINE no longer accepts it
    /// (it expired or the event was answered elsewhere).
    #[error("the reply token is invalid or expired")]
    InvalidReplyToken,
    /// LINE refused the request; retrying would not help.
    #[error("LINE answered {status}: {body}")]
    Rejected { status: StatusCode, body: String },
    /// LINE kept answering 429 or 5xx, or could not be reached.
    #[error("gave up after {attempts} attempts: {last}")]
    GaveUp { attempts: u32, last: String },
}

/// How a push message is retried safely: LINE accepts one request per key.
#[derive(Debug, Clone)]
pub struct RetryKey(pub String);

impl RetryKey {
    pub fn new() -> RetryKey {
        RetryKey(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// The same key for every push answering one webhook event: should two
    /// replicas both push for it (one died after answering, before it could
    /// say so), LINE accepts the first and refuses the second with 409.
    pub fn for_event(webhook_event_id: &str) -> RetryKey {
        let digest = <sha2::Sha256 as sha2::Digest>::digest(
            format!("madoguchi push for {webhook_event_id}").as_bytes(),
        );
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        RetryKey(
            uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .hyphenated()
                .to_string(),
        )
    }
}

impl Default for RetryKey {
    fn default() -> Self {
        RetryKey::new()
    }
}

/// The month's push messages: the limit (`None`: none) and those sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushQuota {
    pub limit: Option<u64>,
    pub used: u64,
}

impl PushQuota {
    /// Pushes left this month, if limited.
    pub fn left(&self) -> Option<u64> {
        self.limit.map(|limit| limit.saturating_sub(self.used))
    }

    /// Whether little is left: under a tenth of the limit.
    pub fn running_out(&self) -> bool {
        matches!((self.limit, self.left()), (Some(limit), Some(left)) if left * 10 < limit)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReplyRequest<'a> {
    reply_token: &'a str,
    messages: &'a [Message],
}

#[derive(Serialize)]
struct PushRequest<'a> {
    to: &'a str,
    messages: &'a [Message],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoadingRequest<'a> {
    chat_id: &'a str,
    loading_seconds: u32,
}

/// What [`LineClient::manage`] answers when LINE has no such thing.
pub const MANAGEMENT_NOT_FOUND: &str = "not found";

/// Time allowed for one call managing the account.
const MANAGEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// One call managing the account.
pub struct Management<'a> {
    method: reqwest::Method,
    path: &'a str,
    body: ManagementBody,
    /// Sent to the data API (uploads).
    data: bool,
    timeout: Duration,
}

enum ManagementBody {
    None,
    Json(serde_json::Value),
    Bytes {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

impl<'a> Management<'a> {
    pub fn get(path: &'a str) -> Self {
        Management {
            method: reqwest::Method::GET,
            path,
            body: ManagementBody::None,
            data: false,
            timeout: MANAGEMENT_TIMEOUT,
        }
    }

    pub fn post(path: &'a str, body: serde_json::Value) -> Self {
        Management {
            method: reqwest::Method::POST,
            path,
            body: ManagementBody::Json(body),
            data: false,
            timeout: MANAGEMENT_TIMEOUT,
        }
    }

    /// A POST without a body.
    pub fn post_empty(path: &'a str) -> Self {
        Management {
            method: reqwest::Method::POST,
            path,
            body: ManagementBody::None,
            data: false,
            timeout: MANAGEMENT_TIMEOUT,
        }
    }

    pub fn delete(path: &'a str) -> Self {
        Management {
            method: reqwest::Method::DELETE,
            path,
            body: ManagementBody::None,
            data: false,
            timeout: MANAGEMENT_TIMEOUT,
        }
    }

    /// An upload to the data API.
    pub fn upload(path: &'a str, content_type: &'static str, bytes: Vec<u8>) -> Self {
        Management {
            method: reqwest::Method::POST,
            path,
            body: ManagementBody::Bytes {
                content_type,
                bytes,
            },
            data: true,
            timeout: MANAGEMENT_TIMEOUT,
        }
    }
}

/// Calls the Messaging API of one channel.
pub struct LineClient {
    http: reqwest::Client,
    api_base: String,
    data_api_base: String,
    access_token: String,
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    metrics: Arc<Metrics>,
}

/// What one attempt came to.
enum Attempt {
    Done,
    /// Worth trying again; `wait` is LINE's `Retry-After`, if given.
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
    /// The request may have reached LINE (5xx or a lost connection).
    RetryMaybeDelivered {
        reason: String,
    },
    Failed(SendError),
}

impl LineClient {
    /// A client for the settings' API base and token.
    pub fn new(settings: &LineSettings, metrics: Arc<Metrics>) -> Result<LineClient, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.request_timeout_ms))
            .build()
            .map_err(|err| format!("cannot set up HTTP: {err}"))?;
        let api_base = settings.api_base.trim_end_matches('/').to_string();
        url::Url::parse(&api_base).map_err(|err| format!("line.api_base `{api_base}`: {err}"))?;
        let data_api_base = settings.data_api_base.trim_end_matches('/').to_string();
        url::Url::parse(&data_api_base)
            .map_err(|err| format!("line.data_api_base `{data_api_base}`: {err}"))?;
        Ok(LineClient {
            http,
            api_base,
            data_api_base,
            access_token: settings.channel_access_token.clone().unwrap_or_default(),
            max_attempts: settings.max_attempts.max(1),
            initial_backoff: Duration::from_millis(settings.initial_backoff_ms),
            max_backoff: Duration::from_millis(settings.max_backoff_ms),
            metrics,
        })
    }

    /// Replies to an event. An expired token is reported as
    /// [`SendError::InvalidReplyToken`] only when no earlier attempt of ours
    /// might have used it.
    pub async fn reply(&self, reply_token: &str, messages: &[Message]) -> Result<(), SendError> {
        let body = ReplyRequest {
            reply_token,
            messages,
        };
        self.call("reply", "/v2/bot/message/reply", &body, None)
            .await
    }

    /// Sends messages to a user, group or room unprompted.
    pub async fn push(
        &self,
        to: &str,
        messages: &[Message],
        retry_key: &RetryKey,
    ) -> Result<(), SendError> {
        let body = PushRequest { to, messages };
        self.call("push", "/v2/bot/message/push", &body, Some(retry_key))
            .await
    }

    /// This month's push messages: the account's limit (`None`: no limit)
    /// and how many were sent. Replies are free; pushes (the fallback when a
    /// reply token has expired) count. One attempt, a few seconds at most:
    /// for the staff dashboard.
    pub async fn push_quota(&self) -> Result<PushQuota, String> {
        #[derive(serde::Deserialize)]
        struct Quota {
            #[serde(rename = "type")]
            kind: String,
            value: Option<u64>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Consumption {
            total_usage: u64,
        }
        let quota: Quota = self.get("/v2/bot/message/quota").await?;
        let consumption: Consumption = self.get("/v2/bot/message/quota/consumption").await?;
        Ok(PushQuota {
            limit: (quota.kind == "limited").then_some(quota.value).flatten(),
            used: consumption.total_usage,
        })
    }

    /// A GET of the Messaging API, read as `T`.
    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let mut call = Management::get(path);
        call.timeout = Duration::from_secs(3);
        let body = self.manage(call).await?;
        serde_json::from_str(&body).map_err(|err| format!("LINE's answer to {path}: {err}"))
    }

    /// A call managing the account (rich menus, quota): one attempt, a few
    /// seconds at most. Returns LINE's body; `Err` names the status and
    /// LINE's message. 404 is [`MANAGEMENT_NOT_FOUND`].
    pub async fn manage(&self, call: Management<'_>) -> Result<String, String> {
        let base = if call.data {
            &self.data_api_base
        } else {
            &self.api_base
        };
        let url = format!("{base}{}", call.path);
        let mut request = self
            .http
            .request(call.method.clone(), &url)
            .header(AUTHORIZATION, format!("Bearer {}", self.access_token))
            .timeout(call.timeout);
        request = match call.body {
            ManagementBody::None => request,
            ManagementBody::Json(value) => request.json(&value),
            ManagementBody::Bytes {
                content_type,
                bytes,
            } => request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes),
        };
        let response = request
            .send()
            .await
            .map_err(|err| format!("cannot reach LINE: {err}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status == StatusCode::NOT_FOUND {
            return Err(MANAGEMENT_NOT_FOUND.into());
        }
        if !status.is_success() {
            return Err(format!(
                "LINE answered {status} to {} {}: {text}",
                call.method, call.path
            ));
        }
        Ok(text)
    }

    /// The language a user set in LINE (`ja`, `en`, `zh-Hant`…), if they
    /// let the account see it.
    pub async fn profile_language(&self, user_id: &str) -> Result<Option<String>, String> {
        #[derive(serde::Deserialize)]
        struct Profile {
            #[serde(default)]
            language: Option<String>,
        }
        let profile: Profile = self.get(&format!("/v2/bot/profile/{user_id}")).await?;
        Ok(profile.language)
    }

    /// Shows the loading animation in a one-to-one chat.
    pub async fn start_loading(&self, user_id: &str) -> Result<(), SendError> {
        let body = LoadingRequest {
            chat_id: user_id,
            loading_seconds: 10,
        };
        self.call("loading", "/v2/bot/chat/loading/start", &body, None)
            .await
    }

    async fn call(
        &self,
        endpoint: &'static str,
        path: &str,
        body: &impl Serialize,
        retry_key: Option<&RetryKey>,
    ) -> Result<(), SendError> {
        let mut maybe_delivered = false;
        let mut attempt = 1;
        loop {
            let outcome = self.attempt(endpoint, path, body, retry_key).await;
            let (reason, wait) = match outcome {
                Attempt::Done => return Ok(()),
                Attempt::Failed(SendError::InvalidReplyToken) if maybe_delivered => {
                    // An earlier attempt may have used the token: treat
                    // the reply as sent rather than risk sending it twice.
                    tracing::warn!(endpoint, "reply token spent by an earlier attempt");
                    return Ok(());
                }
                Attempt::Failed(err) => return Err(err),
                Attempt::Retry { reason, wait } => (reason, wait),
                Attempt::RetryMaybeDelivered { reason } => {
                    maybe_delivered = true;
                    (reason, None)
                }
            };
            if attempt >= self.max_attempts {
                return Err(SendError::GaveUp {
                    attempts: attempt,
                    last: reason,
                });
            }
            let wait = wait
                .unwrap_or_else(|| self.backoff(attempt))
                .min(self.max_backoff);
            tracing::info!(endpoint, attempt, %reason, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Exponential back-off with jitter: between half and all of
    /// `initial × 2^(attempt-1)`, capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(self.max_backoff);
        ceiling.mul_f64(0.5 + fastrand::f64() / 2.0)
    }

    async fn attempt(
        &self,
        endpoint: &'static str,
        path: &str,
        body: &impl Serialize,
        retry_key: Option<&RetryKey>,
    ) -> Attempt {
        let mut request = self
            .http
            .post(format!("{}{}", self.api_base, path))
            .header(AUTHORIZATION, format!("Bearer {}", self.access_token))
            .json(body);
        if let Some(key) = retry_key {
            request = request.header("X-Line-Retry-Key", &key.0);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                self.metrics.count(
                    "madoguchi_line_api_requests_total",
                    &[("endpoint", endpoint), ("status", "error")],
                );
                let reason = format!("cannot reach LINE: {err}");
                return if err.is_connect() {
                    Attempt::Retry { reason, wait: None }
                } else {
                    Attempt::RetryMaybeDelivered { reason }
                };
            }
        };
        let status = response.status();
        self.metrics.count(
            "madoguchi_line_api_requests_total",
            &[("endpoint", endpoint), ("status", status.as_str())],
        );
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_secs);
        if status.is_success() {
            return Attempt::Done;
        }
        let text = response.text().await.unwrap_or_default();
        if status == StatusCode::CONFLICT && retry_key.is_some() {
            // The retry key was already accepted: the push went out.
            return Attempt::Done;
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Attempt::Retry {
                reason: format!("429: {text}"),
                wait: retry_after,
            };
        }
        if status.is_server_error() {
            return Attempt::RetryMaybeDelivered {
                reason: format!("{status}: {text}"),
            };
        }
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(String::from))
            .unwrap_or_default();
        if status == StatusCode::BAD_REQUEST && message == "Invalid reply token" {
            return Attempt::Failed(SendError::InvalidReplyToken);
        }
        tracing::error!(endpoint, status = status.as_u16(), body = %text, "LINE refused the request");
        Attempt::Failed(SendError::Rejected { status, body: text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_for_one_event_share_their_retry_key() {
        let key = RetryKey::for_event("01H0EXAMPLEEVENT");
        assert_eq!(key.0, RetryKey::for_event("01H0EXAMPLEEVENT").0);
        assert_ne!(key.0, RetryKey::for_event("01H0OTHEREVENT").0);
        let parsed = uuid::Uuid::parse_str(&key.0).expect("a UUID, as LINE requires");
        assert_eq!(parsed.hyphenated().to_string(), key.0);
    }
}
