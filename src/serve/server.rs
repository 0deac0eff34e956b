//! The HTTP side of `weir serve`: routes, signatures, limits, and the JSON errors.
//!
//! ```text
//! POST /events/Shop/order/new   X-Weir-Signature: sha256=…   {"customer":"Ada"}   → 202
//! POST /events/Shop/order/new   (no signature, with a secret set)                   → 401
//! POST /events/Shop/order/new   {"customer":12}                                     → 422
//! ```
//!
//! A request is checked in this order: size (413), signature and timestamp (401, see
//! [`super::signing`]), route (404), record (422). An event that passes goes to the committer,
//! which writes it to the journal with the others that arrived meanwhile, syncs once, and only
//! then lets each request answer 202. The read routes answer only with the read token when
//! reads are guarded ([`Reads`]); `/health` then says only that weir is up.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::sync::oneshot;

use super::journal::{self, Accepted, Journal, NewEvent};
use super::signing::{self, Signed};
use super::status::EventStatus;
use super::webhook::{self, Problem};
use crate::program::Program;

/// The largest body a webhook may have.
pub const BODY_LIMIT: usize = 1 << 20;

/// An event on its way to the journal, and where to say how it went.
pub struct Offer {
    pub event: NewEvent,
    pub reply: oneshot::Sender<Result<Accepted, String>>,
}

#[derive(Clone)]
pub struct Shared {
    pub program: Arc<Program>,
    pub offers: mpsc::SyncSender<Offer>,
    pub secret: Option<Arc<ring::hmac::Key>>,
    /// How far a signature's timestamp may be from the clock.
    pub tolerance: Duration,
    pub reads: Reads,
    pub reader: Arc<Mutex<Journal>>,
    pub counters: Arc<super::Counters>,
    /// Past this many events queued, new ones are refused with 503 until the worker catches up.
    pub max_queued: u64,
    /// Bodies being read, in KiB, at most [`BODIES_IN_FLIGHT`].
    pub bodies: Arc<tokio::sync::Semaphore>,
    /// Set when a part of weir stopped that cannot go on (`/health` then answers 503).
    pub broken: Arc<std::sync::atomic::AtomicBool>,
    /// The secrets of the providers' webhook routes, by route.
    pub hook_secrets: super::provider::Secrets,
}

/// The memory bodies being read may take, in KiB (64 MiB): past it, 503 and `Retry-After`.
pub const BODIES_IN_FLIGHT: usize = 64 * 1024;

/// How long a client may take to send a body.
pub const BODY_TIME: Duration = Duration::from_secs(10);

/// A 503 that says when to try again.
fn busy(message: String, help: &str) -> Response {
    let mut response = error(StatusCode::SERVICE_UNAVAILABLE, message, help);
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("1"),
    );
    response
}

/// Who may read `GET /runs` and the counts of `GET /health`.
#[derive(Clone)]
pub enum Reads {
    /// Anyone (no secret and no read token: a loopback address for development).
    Open,
    /// Whoever sends `Authorization: Bearer <token>`.
    Token(Arc<ReadToken>),
    /// No one: a secret guards the events, and no read token was given.
    Closed,
}

/// The read token, kept as an HMAC under a key made at start, so that a token sent is
/// compared in constant time.
pub struct ReadToken {
    key: ring::hmac::Key,
    tag: ring::hmac::Tag,
}

impl ReadToken {
    pub fn new(token: &[u8]) -> Option<ReadToken> {
        let random = ring::rand::SystemRandom::new();
        let key = ring::hmac::Key::generate(ring::hmac::HMAC_SHA256, &random).ok()?;
        let tag = ring::hmac::sign(&key, token);
        Some(ReadToken { key, tag })
    }

    fn matches(&self, given: &[u8]) -> bool {
        ring::hmac::verify(&self.key, given, self.tag.as_ref()).is_ok()
    }
}

/// Whether a request may read: `Ok`, or the response that refuses it.
fn may_read(reads: &Reads, headers: &HeaderMap) -> Result<(), Box<Response>> {
    match reads {
        Reads::Open => Ok(()),
        Reads::Closed => Err(Box::new(error(
            StatusCode::FORBIDDEN,
            "reading runs is off: `weir serve` has a webhook secret but no read token",
            "start `weir serve` with `--read-token-env NAME` and send `Authorization: Bearer <token>`, or use `weir runs --journal FILE` on the machine",
        ))),
        Reads::Token(token) => {
            let given = header(headers, "authorization");
            // The scheme's name is not case-sensitive (RFC 9110).
            let bearer = given
                .as_deref()
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token);
            match bearer {
                Some(b) if token.matches(b.trim().as_bytes()) => Ok(()),
                Some(_) => Err(Box::new(error(
                    StatusCode::UNAUTHORIZED,
                    "the read token does not match",
                    "send the token of the variable named by `--read-token-env`, as `Authorization: Bearer <token>`",
                ))),
                None => Err(Box::new(error(
                    StatusCode::UNAUTHORIZED,
                    "the request has no `Authorization: Bearer` read token",
                    "send the token of the variable named by `--read-token-env`, as `Authorization: Bearer <token>`",
                ))),
            }
        }
    }
}

pub fn router(shared: Shared) -> Router {
    super::provider::routes(&shared.program)
        .route("/events/{app}/{entity}/{kind}", post(post_event))
        .route("/health", get(health))
        .route("/runs", get(runs))
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(shared)
}

pub(super) fn error(
    status: StatusCode,
    message: impl Into<String>,
    help: impl Into<String>,
) -> Response {
    let body = json!({
        "error": message.into(),
        "help": help.into(),
        "status": status.as_u16(),
    });
    (status, axum::Json(body)).into_response()
}

pub(super) fn refused(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    error(status, problem.message, problem.help)
}

async fn unknown_route(State(shared): State<Shared>, method: Method, uri: Uri) -> Response {
    let help = super::provider::unknown_route_help(&shared.program, uri.path()).unwrap_or_else(|| {
        "post events to /events/{app}/{entity}/{kind}; the others are GET /health and GET /runs?status=failed|held".into()
    });
    error(
        StatusCode::NOT_FOUND,
        format!("there is no route `{method} {}`", uri.path()),
        help,
    )
}

async fn wrong_method(method: Method, uri: Uri) -> Response {
    // Only `/health` and `/runs` are read; every other route takes events.
    let allowed = if ["/health", "/runs"].contains(&uri.path()) {
        "GET"
    } else {
        "POST"
    };
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("`{}` does not take {method}", uri.path()),
        format!("use {allowed} for `{}`", uri.path()),
    )
}

pub(super) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

async fn post_event(
    State(shared): State<Shared>,
    Path((app, entity, kind)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let bytes = match read_body(&shared, &headers, body).await {
        Ok(bytes) => bytes,
        Err(response) => return *response,
    };
    let event_id = header(&headers, "x-weir-event-id");
    let actor = header(&headers, "x-weir-actor");
    let changed = header(&headers, "x-weir-changed");
    // A signed request without an event id is still taken once: by its signature.
    let mut signature = None;
    if let Some(key) = &shared.secret {
        let timestamp = header(&headers, "x-weir-timestamp").unwrap_or_default();
        let signed = Signed {
            timestamp: &timestamp,
            method: method.as_str(),
            path: uri.path(),
            event_id: event_id.as_deref().unwrap_or(""),
            actor: actor.as_deref().unwrap_or(""),
            changed: changed.as_deref().unwrap_or(""),
            body: &bytes,
        };
        let given = header(&headers, "x-weir-signature");
        let now = signing::now();
        if let Err(why) = signing::verify(key, given.as_deref(), &signed, now, shared.tolerance) {
            return error(StatusCode::UNAUTHORIZED, why.message, why.help);
        }
        signature = given;
    }
    let (entity_id, event_kind) = match webhook::route(&shared.program, &app, &entity, &kind) {
        Ok(found) => found,
        Err(problem) => return refused(problem),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body is not UTF-8 text",
            "send the record as JSON in UTF-8",
        );
    };
    if let Err(problem) = webhook::parse(
        &shared.program,
        entity_id,
        event_kind,
        text,
        actor.as_deref(),
        changed.as_deref(),
    ) {
        return refused(problem);
    }
    let event = NewEvent {
        key: journal::event_key(
            &app,
            &entity,
            &kind,
            event_id.as_deref(),
            signature.as_deref(),
        ),
        app,
        entity,
        kind,
        record: text.to_string(),
        actor,
        changed,
    };
    offer(&shared, event).await
}

/// Hands an event that was read to the committer, and answers once it is in the journal; a
/// committer with as many events as it takes answers 503 with `Retry-After`.
pub(super) async fn offer(shared: &Shared, event: NewEvent) -> Response {
    let (reply, outcome) = oneshot::channel();
    let offer = Offer { event, reply };
    match shared.offers.try_send(offer) {
        Ok(()) => {}
        Err(mpsc::TrySendError::Full(_)) => {
            return busy(
                "weir is writing as many events to its journal as it takes at once".to_string(),
                "send the event again after the time in `Retry-After`; it was not accepted",
            );
        }
        Err(mpsc::TrySendError::Disconnected(_)) => return stopping(),
    }
    match outcome.await {
        Ok(Ok(Accepted::New(id))) => answer(StatusCode::ACCEPTED, "accepted", id),
        Ok(Ok(Accepted::Duplicate(id))) => answer(StatusCode::OK, "duplicate", id),
        Ok(Err(reason)) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the journal could not record the event: {reason}"),
            "send the event again later; it was not accepted",
        ),
        Err(_) => stopping(),
    }
}

/// The body of a request, up to [`BODY_LIMIT`]; a larger one is answered 413. With as many
/// events queued as weir takes, or as much memory held by bodies being read, 503 with
/// `Retry-After`; a body slower than [`BODY_TIME`], 408.
pub(super) async fn read_body(
    shared: &Shared,
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::body::Bytes, Box<Response>> {
    let too_big = || {
        Box::new(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {} bytes (1 MiB)", BODY_LIMIT),
            "send one record per request, under 1 MiB",
        ))
    };
    let declared = header(headers, "content-length").and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT) {
        return Err(too_big());
    }
    let queued = shared.counters.tally().queued;
    if queued >= shared.max_queued {
        return Err(Box::new(busy(
            format!("weir has {queued} events queued, as many as it takes (`--max-queued`)"),
            "send the event again after the time in `Retry-After`; it was not accepted",
        )));
    }
    // The memory a body may take is held for it while it is read: a body of unknown length
    // may take the most a body may have.
    let kib = declared.unwrap_or(BODY_LIMIT).div_ceil(1024).max(1) as u32;
    let Ok(_reading) = Arc::clone(&shared.bodies).try_acquire_many_owned(kib) else {
        return Err(Box::new(busy(
            "weir is reading as many bodies as it takes at once".to_string(),
            "send the event again after the time in `Retry-After`; it was not accepted",
        )));
    };
    match tokio::time::timeout(BODY_TIME, axum::body::to_bytes(body, BODY_LIMIT)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(too_big()),
        Err(_) => Err(Box::new(error(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the body did not arrive within {} seconds",
                BODY_TIME.as_secs()
            ),
            "send the whole body at once",
        ))),
    }
}

/// `{"status":"accepted","event":12}`, written without a JSON tree: it is the hot path.
fn answer(status: StatusCode, word: &'static str, id: i64) -> Response {
    let body = format!(r#"{{"status":"{word}","event":{id}}}"#);
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn stopping() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "weir is stopping and accepts no more events",
        "send the event again once `weir serve` is back",
    )
}

async fn health(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if shared.broken.load(std::sync::atomic::Ordering::SeqCst) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "a part of weir that runs events stopped; weir is stopping",
            "read weir's standard error for why, and start `weir serve` again",
        );
    }
    if may_read(&shared.reads, &headers).is_err() {
        return axum::Json(json!({ "status": "ok" })).into_response();
    }
    let t = shared.counters.tally();
    axum::Json(json!({
        "status": "ok",
        "queued": t.queued,
        "done": t.done,
        "failed": t.failed,
        "held": t.held,
    }))
    .into_response()
}

#[derive(serde::Deserialize)]
struct RunsQuery {
    status: Option<String>,
}

async fn runs(
    State(shared): State<Shared>,
    Query(query): Query<RunsQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = may_read(&shared.reads, &headers) {
        return *response;
    }
    let status = match query.status.as_deref() {
        None | Some("") | Some("all") => None,
        Some(s @ ("failed" | "held")) => s.parse::<EventStatus>().ok(),
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("`status={other}` is not a status of runs"),
                "ask for /runs?status=failed or /runs?status=held (or /runs for all)",
            );
        }
    };
    let reader = Arc::clone(&shared.reader);
    let listed = tokio::task::spawn_blocking(move || {
        let journal = reader
            .lock()
            .map_err(|_| "the journal reader broke".to_string())?;
        let rows = journal.list(status, 100).map_err(|e| e.to_string())?;
        // Without a status, what waits for the clock too, as `weir runs` lists it.
        let waits = match status {
            None => super::clock_waits(&journal).map_err(|e| e.to_string())?,
            Some(_) => Vec::new(),
        };
        Ok::<_, String>((rows, waits))
    })
    .await;
    match listed {
        Ok(Ok((rows, waits))) => {
            let runs: Vec<_> = rows.iter().map(super::listed_json).collect();
            let mut answer = json!({ "runs": runs });
            if status.is_none() {
                answer["waiting"] = waits.iter().map(super::ClockWait::json).collect();
            }
            axum::Json(answer).into_response()
        }
        Ok(Err(reason)) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            reason,
            "look at the journal file",
        ),
        Err(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the journal reader stopped",
            "restart `weir serve`",
        ),
    }
}
