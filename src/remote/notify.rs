//! `--notify-url URL`: every notification is also POSTed there as JSON.
//!
//! ```text
//! notify "front-desk" "New patient: Ada"   → POST URL {"channel":"front-desk","text":"New patient: Ada"}
//! weir serve … --notify-url slack          # refused at startup: not an http or https URL
//! ```
//!
//! The request is tried again as writes to real apps are (connect errors, time-outs, 429,
//! 5xx); a notification that still cannot be sent is reported and kept (in the journal, with
//! `weir serve`), and the run goes on: a notification causes no event.

use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::json;

use super::http::{self, Jitter, Policy, Request};

pub struct Notifier {
    client: Client,
    url: String,
    policy: Policy,
    jitter: Jitter,
}

impl Notifier {
    /// A notifier for a URL; an URL that is not http or https is refused with the fix.
    pub fn new(url: &str, policy: Policy) -> Result<Notifier, String> {
        let parsed = reqwest::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if parsed.is_none() {
            return Err(format!(
                "`--notify-url {url}` is not an http or https URL; write it in full, as in `--notify-url http://127.0.0.1:9100/notify`"
            ));
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .connect_timeout(policy.timeout)
            .build()
            .map_err(|e| format!("weir cannot make HTTP requests: {e}"))?;
        Ok(Notifier {
            client,
            url: url.to_string(),
            policy,
            jitter: Jitter::default(),
        })
    }

    /// Sends one notification; the reason in words when it could not be sent.
    pub fn send(&mut self, channel: Option<&str>, text: &str) -> Result<(), String> {
        let body = json!({ "channel": channel, "text": text }).to_string();
        let request = Request {
            method: Method::POST,
            url: self.url.clone(),
            auth: None,
            key: None,
            origin: None,
            body: Some(http::Body::json(body.into_bytes())),
        };
        match http::send(&self.client, &self.policy, &mut self.jitter, &request) {
            Ok(reply) if reply.status.is_success() => Ok(()),
            Ok(reply) => Err(format!("POST {} answered {}", self.url, reply.status)),
            Err(failed) => Err(failed.reason),
        }
    }
}
