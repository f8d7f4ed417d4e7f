//! Counters and a latency histogram, exposed in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// Label values of one series.
type Labels = Vec<(&'static str, String)>;

/// The process's metrics. Cheap to update from any thread.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    counters: BTreeMap<(&'static str, Labels), u64>,
    latency_buckets: [u64; LATENCY_BUCKETS.len()],
    latency_count: u64,
    latency_sum: f64,
    content_version: String,
    content_loaded_at: i64,
}

/// Help texts of the counters, by name.
const HELP: [(&str, &str); 13] = [
    (
        "madoguchi_http_requests_total",
        "HTTP requests by route and status.",
    ),
    (
        "madoguchi_decisions_total",
        "Engine decisions by channel and kind.",
    ),
    (
        "madoguchi_rate_limited_total",
        "Requests refused by the per-client rate limit.",
    ),
    ("madoguchi_feedback_total", "Feedback votes by value."),
    (
        "madoguchi_content_reloads_total",
        "Content reloads by result; on error the previous content keeps serving.",
    ),
    (
        "madoguchi_line_webhooks_total",
        "LINE webhook requests by result.",
    ),
    (
        "madoguchi_line_events_total",
        "LINE events received, by type and what became of them.",
    ),
    (
        "madoguchi_line_events_handled_total",
        "LINE events taken from the queue and handled, whatever the outcome.",
    ),
    (
        "madoguchi_line_ignored_total",
        "LINE events left unanswered, by type and reason.",
    ),
    (
        "madoguchi_line_deliveries_total",
        "Answers to LINE events by outcome.",
    ),
    (
        "madoguchi_line_api_requests_total",
        "Calls to the Messaging API by endpoint and status.",
    ),
    (
        "madoguchi_log_write_failures_total",
        "Query log writes that failed; the replies were still sent and the records kept to retry.",
    ),
    (
        "madoguchi_log_records_lost_total",
        "Query log records dropped because the retry buffer was full.",
    ),
];

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds one to the counter `name` with these labels.
    pub fn count(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        let labels = labels.iter().map(|(k, v)| (*k, v.to_string())).collect();
        *self.lock().counters.entry((name, labels)).or_default() += 1;
    }

    /// Records one request's duration.
    pub fn observe_latency(&self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        let mut inner = self.lock();
        for (bucket, bound) in inner.latency_buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        inner.latency_count += 1;
        inner.latency_sum += seconds;
    }

    /// Sets the version of the content being served, loaded now.
    pub fn set_content_version(&self, version: &str) {
        let mut inner = self.lock();
        inner.content_version = version.to_string();
        inner.content_loaded_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
    }

    /// The current value of a counter (0 if never counted).
    pub fn value(&self, name: &'static str, labels: &[(&'static str, &str)]) -> u64 {
        let labels: Labels = labels.iter().map(|(k, v)| (*k, v.to_string())).collect();
        self.lock()
            .counters
            .get(&(name, labels))
            .copied()
            .unwrap_or(0)
    }

    /// Everything, in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        let mut last_name = "";
        for ((name, labels), value) in &inner.counters {
            if *name != last_name {
                let help = HELP.iter().find(|(n, _)| n == name).map_or("", |(_, h)| h);
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
                last_name = name;
            }
            let _ = writeln!(out, "{name}{} {value}", format_labels(labels));
        }
        let name = "madoguchi_http_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to answer HTTP requests.\n# TYPE {name} histogram"
        );
        for (bound, count) in LATENCY_BUCKETS.iter().zip(inner.latency_buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", inner.latency_count);
        let _ = writeln!(out, "{name}_sum {}", inner.latency_sum);
        let _ = writeln!(out, "{name}_count {}", inner.latency_count);
        let _ = writeln!(
            out,
            "# HELP madoguchi_content_info The content version being served.\n# TYPE madoguchi_content_info gauge\nmadoguchi_content_info{{version=\"{}\"}} 1",
            escape(&inner.content_version)
        );
        let _ = writeln!(
            out,
            "# HELP madoguchi_content_loaded_timestamp_seconds When the content being served was loaded.\n# TYPE madoguchi_content_loaded_timestamp_seconds gauge\nmadoguchi_content_loaded_timestamp_seconds {}",
            inner.content_loaded_at
        );
        out
    }
}

fn format_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histogram_render_in_prometheus_format() {
        let metrics = Metrics::default();
        metrics.count(
            "madoguchi_decisions_total",
            &[("channel", "web"), ("kind", "answer")],
        );
        metrics.count(
            "madoguchi_decisions_total",
            &[("channel", "web"), ("kind", "answer")],
        );
        metrics.observe_latency(Duration::from_micros(700));
        metrics.set_content_version("abc\"1");
        let text = metrics.render();
        assert!(
            text.contains("madoguchi_decisions_total{channel=\"web\",kind=\"answer\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("madoguchi_http_request_duration_seconds_bucket{le=\"0.0005\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("madoguchi_http_request_duration_seconds_bucket{le=\"0.001\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("madoguchi_http_request_duration_seconds_count 1"),
            "{text}"
        );
        assert!(
            text.contains("madoguchi_content_info{version=\"abc\\\"1\"} 1"),
            "{text}"
        );
        assert_eq!(
            metrics.value(
                "madoguchi_decisions_total",
                &[("channel", "web"), ("kind", "answer")]
            ),
            2
        );
    }
}
