//! Sending one request to a real app, again when it is worth it.
//!
//! Connect errors, time-outs, `429` and `5xx` are worth another try: after an exponential
//! back-off with jitter, or after what the app's `Retry-After` asks (seconds or an HTTP date).
//! Every other `4xx` is the app's answer, and fails at once with the app's own message.
//!
//! ```text
//! POST /ticket → 503, 503, 201 {"id": "t-7"}                # two waits, then t-7
//! POST /ticket → 422 {"error": "title is too long"}         # fails at once, with that message
//! ```

use std::time::{Duration, SystemTime};

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::{Method, StatusCode};

/// How hard to try.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// How long one request may take, connecting included.
    pub timeout: Duration,
    /// Tries after the first.
    pub retries: u32,
    /// The first wait; each next one doubles, up to [`MAX_WAIT`].
    pub backoff: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            timeout: Duration::from_secs(10),
            retries: 6,
            backoff: Duration::from_millis(250),
        }
    }
}

/// The longest wait between two tries, whatever `Retry-After` asks.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// A reply the app gave: a success, or a `404`.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
    /// The `Link` header, for lists paged by it.
    pub link: Option<String>,
}

/// Why a request did not get a reply to use, in words for the error message.
#[derive(Debug)]
pub struct Failed {
    pub reason: String,
    /// The app answered and refused (a 4xx other than 429), rather than giving no answer.
    pub refused: bool,
    /// The status of a refusal.
    pub status: Option<StatusCode>,
}

/// A request's body and its media type.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

impl Body {
    pub fn json(bytes: Vec<u8>) -> Body {
        Body {
            bytes,
            content_type: "application/json",
        }
    }

    pub fn form(bytes: Vec<u8>) -> Body {
        Body {
            bytes,
            content_type: "application/x-www-form-urlencoded",
        }
    }
}

/// One request: its method, URL, headers and body.
pub struct Request<'a> {
    pub method: Method,
    pub url: String,
    /// The header that authenticates it (`Authorization`, or an app's key header).
    pub auth: Option<(String, String)>,
    pub key: Option<String>,
    pub origin: Option<&'a str>,
    pub body: Option<Body>,
}

impl Request<'_> {
    fn build(&self, client: &Client) -> RequestBuilder {
        let mut r = client.request(self.method.clone(), &self.url);
        if let Some((name, value)) = &self.auth {
            r = r.header(name.as_str(), value.as_str());
        }
        if let Some(key) = &self.key {
            r = r.header("Idempotency-Key", key);
        }
        if let Some(origin) = self.origin {
            r = r.header("X-Weir-Origin", origin);
        }
        if let Some(body) = &self.body {
            r = r
                .header("Content-Type", body.content_type)
                .body(body.bytes.clone());
        }
        r
    }

    /// `POST http://…/ticket`.
    fn describe(&self) -> String {
        format!("{} {}", self.method, self.url)
    }
}

/// A source of jitter for back-off (`fastrand`: spreading retries needs no secure randomness).
#[derive(Debug, Default)]
pub struct Jitter(fastrand::Rng);

impl Jitter {
    /// A number in `[0, 1)`.
    fn next(&mut self) -> f64 {
        self.0.f64()
    }
}

/// How one try of a request went.
#[derive(Debug)]
pub enum Attempt {
    /// A success, or a `404`: the caller decides what it means.
    Reply(Reply),
    /// Worth another try (no answer, a time-out, `429`, `5xx`); `after` is what the app's
    /// `Retry-After` asked, if it said.
    Again {
        problem: String,
        after: Option<Duration>,
    },
    /// The app answered and refused (a 4xx other than 429).
    Refused { problem: String, status: StatusCode },
}

/// Sends a request once ([`send`] tries again; `weir serve`'s outbox schedules its own tries).
pub fn attempt(client: &Client, policy: &Policy, request: &Request) -> Attempt {
    match request.build(client).timeout(policy.timeout).send() {
        Ok(response) => {
            let status = response.status();
            if status.is_success() || status == StatusCode::NOT_FOUND {
                return match read(response, request) {
                    Ok(reply) => Attempt::Reply(reply),
                    Err(failed) => Attempt::Again {
                        problem: failed.reason,
                        after: None,
                    },
                };
            }
            let after = retry_after(&response);
            let message = app_message(response);
            let problem = format!("{} answered {status}{message}", request.describe());
            if status != StatusCode::TOO_MANY_REQUESTS && !status.is_server_error() {
                return Attempt::Refused { problem, status };
            }
            Attempt::Again { problem, after }
        }
        Err(err) => {
            let what = if err.is_timeout() {
                format!("took longer than {}s", policy.timeout.as_secs_f64())
            } else if err.is_connect() {
                "could not be reached".to_string()
            } else {
                "broke off before the reply".to_string()
            };
            Attempt::Again {
                problem: format!("{} {what}", request.describe()),
                after: None,
            }
        }
    }
}

/// `(tried 3 times)`, after the problem of the last try.
pub fn gave_up(problem: &str, tries: u32) -> String {
    let tried = if tries == 1 {
        "once".to_string()
    } else {
        format!("{tries} times")
    };
    format!("{problem} (tried {tried})")
}

/// Sends a request, trying again where that may help. A `404` is a reply (the caller decides
/// what it means); other failures are [`Failed`].
pub fn send(
    client: &Client,
    policy: &Policy,
    jitter: &mut Jitter,
    request: &Request,
) -> Result<Reply, Failed> {
    let mut tries = 0;
    loop {
        tries += 1;
        let (problem, asked) = match attempt(client, policy, request) {
            Attempt::Reply(reply) => return Ok(reply),
            Attempt::Refused { problem, status } => {
                return Err(Failed {
                    reason: problem,
                    refused: true,
                    status: Some(status),
                });
            }
            Attempt::Again { problem, after } => (problem, after),
        };
        if tries > policy.retries {
            return Err(Failed {
                reason: gave_up(&problem, tries),
                refused: false,
                status: None,
            });
        }
        let wait = asked.unwrap_or_else(|| backoff(policy, tries, jitter));
        std::thread::sleep(wait.min(MAX_WAIT));
    }
}

fn read(response: Response, request: &Request) -> Result<Reply, Failed> {
    let status = response.status();
    let link = response
        .headers()
        .get("link")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    match response.bytes() {
        Ok(body) => Ok(Reply {
            status,
            body: body.to_vec(),
            link,
        }),
        Err(_) => Err(Failed {
            reason: format!(
                "{} broke off in the middle of the reply",
                request.describe()
            ),
            refused: false,
            status: None,
        }),
    }
}

/// The wait before try `tries + 1`: `backoff · 2^(tries-1)`, capped, less up to half of it at
/// random so that many clients do not come back at once.
pub fn backoff(policy: &Policy, tries: u32, jitter: &mut Jitter) -> Duration {
    let full = policy
        .backoff
        .saturating_mul(1 << (tries - 1).min(16))
        .min(MAX_WAIT);
    full.mul_f64(0.5 + 0.5 * jitter.next())
}

/// `Retry-After`, in seconds or as an HTTP date.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?.trim();
    parse_retry_after(value, SystemTime::now())
}

pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `: title is too long`, from a JSON `error` or `message`, or the start of the text.
fn app_message(response: Response) -> String {
    let Ok(body) = response.bytes() else {
        return String::new();
    };
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) {
        for key in ["error", "message", "detail"] {
            match &json[key] {
                serde_json::Value::String(s) => return format!(": {s}"),
                serde_json::Value::Object(o) => {
                    if let Some(serde_json::Value::String(s)) = o.get("message") {
                        return format!(": {s}");
                    }
                }
                _ => {}
            }
        }
    }
    let text = String::from_utf8_lossy(&body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let cut: String = text.chars().take(200).collect();
    format!(": {cut}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:30 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let policy = Policy {
            backoff: Duration::from_millis(100),
            ..Policy::default()
        };
        let mut jitter = Jitter::default();
        for tries in 1..6 {
            let wait = backoff(&policy, tries, &mut jitter);
            let full = Duration::from_millis(100 * (1 << (tries - 1)));
            assert!(wait <= full && wait >= full / 2, "{wait:?} for try {tries}");
        }
        assert!(backoff(&policy, 40, &mut jitter) <= MAX_WAIT);
    }
}
