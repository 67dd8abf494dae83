//! Telling people and monitors how a run went: a Slack-compatible webhook, healthcheck
//! pings (healthchecks.io style start/success/fail URLs) and a Prometheus textfile.
//!
//! A notification that cannot be delivered is a warning, never a failure: a good backup
//! must not be reported as failed because a chat service was down.

pub mod http;
pub mod textfile;

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// Slack-compatible incoming webhook; receives `{"text": "..."}`.
    pub webhook_url: Option<String>,
    /// Also post successes to the webhook (failures always are).
    #[serde(default)]
    pub webhook_on_success: bool,
    pub ping_start: Option<String>,
    pub ping_success: Option<String>,
    pub ping_fail: Option<String>,
    /// Prometheus node_exporter textfile (e.g. /var/lib/node_exporter/textfile/cairn.prom).
    pub textfile: Option<PathBuf>,
}

impl NotifyConfig {
    /// Every URL parses; the error names the field, never the URL (it may hold a token).
    pub fn validate(&self) -> Result<(), String> {
        for (field, url) in self.urls() {
            http::check_url(url).map_err(|e| format!("{field}: {e}"))?;
        }
        Ok(())
    }

    pub fn urls(&self) -> Vec<(&'static str, &str)> {
        [
            ("webhook_url", &self.webhook_url),
            ("ping_start", &self.ping_start),
            ("ping_success", &self.ping_success),
            ("ping_fail", &self.ping_fail),
        ]
        .into_iter()
        .filter_map(|(f, u)| u.as_deref().map(|u| (f, u)))
        .collect()
    }
}

/// Sends a profile's notifications, turning every delivery problem into a warning.
pub struct Notifier<'a> {
    pub cfg: &'a NotifyConfig,
    pub profile: &'a str,
}

impl Notifier<'_> {
    pub fn start(&self) {
        if let Some(u) = &self.cfg.ping_start {
            self.deliver("ping_start", u, "text/plain", String::new());
        }
    }

    pub fn success(&self, summary: &str) {
        if let Some(u) = &self.cfg.ping_success {
            self.deliver("ping_success", u, "text/plain", summary.to_string());
        }
        if self.cfg.webhook_on_success {
            self.webhook(&format!("cairn: {} succeeded: {summary}", self.profile));
        }
    }

    pub fn failure(&self, error_line: &str) {
        if let Some(u) = &self.cfg.ping_fail {
            self.deliver("ping_fail", u, "text/plain", error_line.to_string());
        }
        self.webhook(&format!("cairn: {} FAILED: {error_line}", self.profile));
    }

    fn webhook(&self, text: &str) {
        if let Some(u) = &self.cfg.webhook_url {
            let body = serde_json::json!({ "text": text }).to_string();
            self.deliver("webhook_url", u, "application/json", body);
        }
    }

    fn deliver(&self, field: &str, url: &str, content_type: &str, body: String) {
        if let Err(e) = http::post(url, content_type, &body) {
            crate::ui::warn(&format!(
                "{}: notify.{field} ({}): {e}",
                self.profile,
                http::redact(url)
            ));
        }
    }
}
