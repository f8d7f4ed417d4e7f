//! Telling staff of a new ticket: a JSON POST to the department's incoming
//! webhook, from the store's outbox, retried with back-off. One body works
//! with Slack and Teams (`text`), LINE WORKS (`title`, `body.text`) and any
//! receiver of JSON (the other fields).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::config::HandoffSettings;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::store::handoff::StaffNotice;

/// How often the outbox is looked at when it is empty.
pub const POLL: Duration = Duration::from_millis(500);
/// A notice being sent is another replica's to send after this long.
const LEASE_MS: i64 = 30_000;

/// The notice of a new ticket.
pub fn new_ticket_body(
    ticket: i64,
    department_name: &str,
    department: &str,
    channel: &str,
    left_message: bool,
    admin_url: &str,
) -> String {
    let url = format!("{}/admin/inbox/{ticket}", admin_url.trim_end_matches('/'));
    let via = if channel == "line" {
        "LINE"
    } else {
        "ウェブ"
    };
    let title = if left_message {
        format!("閉庁時間のメッセージ（{department_name}・{via}）")
    } else {
        format!("新しい相談（{department_name}・{via}）")
    };
    let text = format!("【窓口ボット】{title} {url}");
    json!({
        "text": text,
        "title": title,
        "body": { "text": text },
        "ticket": ticket,
        "department": department,
        "department_name": department_name,
        "channel": channel,
        "left_message": left_message,
        "url": url,
    })
    .to_string()
}

/// Sends the outbox's notices.
pub struct Sender {
    http: reqwest::Client,
    attempts: i64,
    backoff: Duration,
    metrics: Arc<Metrics>,
}

impl Sender {
    pub fn new(settings: &HandoffSettings, metrics: Arc<Metrics>) -> Sender {
        Sender {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            attempts: i64::from(settings.notice_attempts.max(1)),
            backoff: Duration::from_millis(settings.notice_backoff_ms),
            metrics,
        }
    }

    /// Sends the oldest notice due, if any; whether there was one.
    pub async fn send_due(&self, store: &Arc<Store>) -> bool {
        let claiming = store.clone();
        let claimed =
            tokio::task::spawn_blocking(move || claiming.claim_staff_notice(LEASE_MS)).await;
        let notice = match claimed {
            Ok(Ok(Some(notice))) => notice,
            Ok(Ok(None)) => return false,
            Ok(Err(err)) => {
                tracing::error!(error = %err, "cannot read the notices to staff");
                return false;
            }
            Err(_) => return false,
        };
        let sent = self.post(&notice).await;
        let attempt = notice.attempts + 1;
        let retry_at = (!sent && attempt < self.attempts).then(|| {
            let wait = self.backoff.saturating_mul(1 << (attempt - 1).min(16));
            crate::store::shared::now_ms() + wait.as_millis() as i64
        });
        let outcome = match (sent, retry_at) {
            (true, _) => "sent",
            (false, Some(_)) => "retry",
            (false, None) => "failed",
        };
        self.metrics
            .count("madoguchi_staff_notices_total", &[("outcome", outcome)]);
        let done = store.clone();
        let id = notice.id;
        if let Ok(Err(err)) =
            tokio::task::spawn_blocking(move || done.staff_notice_done(id, sent, retry_at)).await
        {
            tracing::error!(error = %err, "cannot record a notice to staff");
        }
        true
    }

    async fn post(&self, notice: &StaffNotice) -> bool {
        let response = self
            .http
            .post(&notice.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(notice.body.clone())
            .send()
            .await;
        match response {
            Ok(response) if response.status().is_success() => true,
            Ok(response) => {
                tracing::warn!(status = %response.status(), "staff's webhook refused a notice");
                false
            }
            Err(err) => {
                tracing::warn!(error = %err, "staff's webhook could not be reached");
                false
            }
        }
    }
}
