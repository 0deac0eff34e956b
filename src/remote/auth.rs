//! How a real app knows it is weir: a bearer token, a key in a header, Basic, or OAuth2 with
//! client credentials or a refresh token. Secrets are read from the environment or a file
//! when weir starts, never written in the script, and never shown in a message or a trace.
//!
//! ```text
//! app Tracker at "…" auth bearer env TRACKER_TOKEN { … }        # Authorization: Bearer …
//! app Calendar at "…" auth oauth2 token "https://oauth2.googleapis.com/token"
//!     client env GOOGLE_CLIENT_ID secret env GOOGLE_CLIENT_SECRET
//!     refresh env GOOGLE_REFRESH_TOKEN { … }                    # fetched, cached, renewed
//! ```
//!
//! An OAuth2 token is fetched before the first request, kept until a minute before it
//! expires, and fetched again then, or once when the app answers `401` (the token may have
//! been revoked early). A second `401` with a fresh token is the app's answer.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value as Json;

use super::SetupError;
use super::http::{self, Jitter, Policy, Request};

/// Where a secret is read from.
#[derive(Clone, Debug, PartialEq)]
pub enum SecretSource {
    Env(Arc<str>),
    File(String),
}

impl SecretSource {
    /// `the environment variable `X``, for messages.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env(var) => format!("the environment variable `{var}`"),
            SecretSource::File(path) => format!("the file `{path}`"),
        }
    }

    /// The secret, trimmed of the line end a file usually has; an empty one is missing.
    pub(crate) fn read(&self, app: &Arc<str>) -> Result<String, SetupError> {
        let value = match self {
            SecretSource::Env(var) => std::env::var(&**var).ok(),
            SecretSource::File(path) => std::fs::read_to_string(path).ok(),
        };
        match value.map(|v| v.trim().to_string()) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(match self {
                SecretSource::Env(var) => SetupError::MissingToken {
                    app: Arc::clone(app),
                    var: Arc::clone(var),
                },
                SecretSource::File(path) => SetupError::MissingSecretFile {
                    app: Arc::clone(app),
                    path: path.clone(),
                },
            }),
        }
    }
}

/// An app's auth, as declared.
#[derive(Clone, Debug, PartialEq)]
pub enum Auth {
    Bearer(SecretSource),
    Header {
        name: String,
        secret: SecretSource,
    },
    Basic {
        user: SecretSource,
        password: Option<SecretSource>,
    },
    OAuth2 {
        token_url: String,
        client_id: SecretSource,
        client_secret: SecretSource,
        refresh: Option<SecretSource>,
        scope: Option<String>,
    },
}

/// A token fetched from an OAuth2 token endpoint.
#[derive(Clone, Debug)]
struct Token {
    access: String,
    /// When to fetch another: a minute before it expires.
    renew_at: Option<Instant>,
}

/// An OAuth2 client: where to get tokens, and the one it holds.
#[derive(Debug)]
struct OAuth2 {
    token_url: String,
    client_id: String,
    client_secret: String,
    /// The refresh token; a token endpoint that rotates them gives a new one with each token.
    refresh: Mutex<Option<String>>,
    scope: Option<String>,
    token: Mutex<Option<Token>>,
}

/// A held token or refresh token; `weir serve` sends from several threads. A thread that
/// panicked holding it left a value that is still whole.
fn lock<T>(held: &Mutex<T>) -> MutexGuard<'_, T> {
    held.lock().unwrap_or_else(|e| e.into_inner())
}

/// What authenticates every request of one app.
#[derive(Debug)]
pub struct Credentials(Kind);

#[derive(Debug)]
enum Kind {
    None,
    /// A header whose value does not change: `Authorization: Bearer …`, `X-Api-Key: …`.
    Fixed {
        name: String,
        value: String,
    },
    OAuth2(Box<OAuth2>),
}

/// Why no token could be had: the endpoint refused or could not be reached.
#[derive(Debug)]
pub struct TokenFailed {
    pub reason: String,
    /// The endpoint answered and refused, rather than giving no answer.
    pub refused: bool,
}

impl Credentials {
    /// Reads the secrets of an app's auth; a missing one stops weir before anything is sent.
    pub fn new(app: &Arc<str>, auth: Option<&Auth>) -> Result<Credentials, SetupError> {
        let Some(auth) = auth else {
            return Ok(Credentials(Kind::None));
        };
        Ok(Credentials(match auth {
            Auth::Bearer(token) => Kind::Fixed {
                name: "Authorization".to_string(),
                value: format!("Bearer {}", token.read(app)?),
            },
            Auth::Header { name, secret } => Kind::Fixed {
                name: name.clone(),
                value: secret.read(app)?,
            },
            Auth::Basic { user, password } => {
                use base64::Engine as _;
                let user = user.read(app)?;
                let password = match password {
                    Some(p) => p.read(app)?,
                    None => String::new(),
                };
                let pair =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                Kind::Fixed {
                    name: "Authorization".to_string(),
                    value: format!("Basic {pair}"),
                }
            }
            Auth::OAuth2 {
                token_url,
                client_id,
                client_secret,
                refresh,
                scope,
            } => Kind::OAuth2(Box::new(OAuth2 {
                token_url: token_url.clone(),
                client_id: client_id.read(app)?,
                client_secret: client_secret.read(app)?,
                refresh: Mutex::new(refresh.as_ref().map(|r| r.read(app)).transpose()?),
                scope: scope.clone(),
                token: Mutex::new(None),
            })),
        }))
    }

    /// The header to send, fetching an OAuth2 token when none is held or it is about to
    /// expire.
    pub fn header(
        &self,
        client: &reqwest::blocking::Client,
        policy: &Policy,
        jitter: &mut Jitter,
    ) -> Result<Option<(String, String)>, TokenFailed> {
        match &self.0 {
            Kind::None => Ok(None),
            Kind::Fixed { name, value } => Ok(Some((name.clone(), value.clone()))),
            Kind::OAuth2(oauth) => {
                let held = lock(&oauth.token).clone();
                let token = match held {
                    Some(t) if t.renew_at.is_none_or(|at| Instant::now() < at) => t,
                    _ => {
                        let fresh = oauth.fetch(client, policy, jitter)?;
                        *lock(&oauth.token) = Some(fresh.clone());
                        fresh
                    }
                };
                Ok(Some((
                    "Authorization".to_string(),
                    format!("Bearer {}", token.access),
                )))
            }
        }
    }

    /// After a `401`: drops a held OAuth2 token, so that the next request fetches a fresh
    /// one. Whether trying again can help (only a token that can be renewed).
    pub fn forget(&self) -> bool {
        match &self.0 {
            Kind::OAuth2(oauth) => {
                lock(&oauth.token).take();
                true
            }
            _ => false,
        }
    }
}

impl OAuth2 {
    fn fetch(
        &self,
        client: &reqwest::blocking::Client,
        policy: &Policy,
        jitter: &mut Jitter,
    ) -> Result<Token, TokenFailed> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        let refresh = lock(&self.refresh).clone();
        match &refresh {
            Some(refresh) => {
                form.append_pair("grant_type", "refresh_token");
                form.append_pair("refresh_token", refresh);
            }
            None => {
                form.append_pair("grant_type", "client_credentials");
            }
        }
        form.append_pair("client_id", &self.client_id);
        form.append_pair("client_secret", &self.client_secret);
        if let Some(scope) = &self.scope {
            form.append_pair("scope", scope);
        }
        let request = Request {
            method: Method::POST,
            url: self.token_url.clone(),
            auth: None,
            key: None,
            origin: None,
            body: Some(http::Body::form(form.finish().into_bytes())),
        };
        let grant = if refresh.is_some() {
            "a refresh token"
        } else {
            "client credentials"
        };
        let reply = http::send(client, policy, jitter, &request).map_err(|failed| TokenFailed {
            reason: format!(
                "its OAuth2 token endpoint gave no token for {grant}: {}; check the client id, the secret{}",
                failed.reason,
                if refresh.is_some() { " and the refresh token (it may have been revoked)" } else { " and the scope" }
            ),
            refused: failed.refused,
        })?;
        let json: Json = serde_json::from_slice(&reply.body).unwrap_or(Json::Null);
        let Some(access) = json.get("access_token").and_then(Json::as_str) else {
            return Err(TokenFailed {
                reason: format!(
                    "its OAuth2 token endpoint {} answered {} without an `access_token`; check the `token` URL",
                    self.token_url, reply.status
                ),
                refused: true,
            });
        };
        if let Some(rotated) = json.get("refresh_token").and_then(Json::as_str) {
            *lock(&self.refresh) = Some(rotated.to_string());
        }
        let renew_at = json.get("expires_in").and_then(Json::as_u64).map(|secs| {
            let lifetime = Duration::from_secs(secs);
            Instant::now() + lifetime.saturating_sub(Duration::from_secs(60).min(lifetime / 2))
        });
        Ok(Token {
            access: access.to_string(),
            renew_at,
        })
    }
}
