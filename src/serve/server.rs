//! The HTTP side of `weir serve`: routes, signatures, limits, and the JSON errors.
//!
//! ```text
//! POST /events/Shop/order/new   X-Weir-Signature: sha256=…   {"customer":"Ada"}   → 202
//! POST /events/Shop/order/new   (no signature, with a secret set)                   → 401
//! POST /events/Shop/order/new   {"customer":12}                                     → 422
//! ```
//!
//! A request is checked in this order: size (413), signature (401), route (404), record (422).
//! An event that passes goes to the committer, which writes it to the journal with the others
//! that arrived meanwhile, syncs once, and only then lets each request answer 202.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::sync::oneshot;

use super::journal::{Accepted, Journal, NewEvent};
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
    pub offers: mpsc::Sender<Offer>,
    pub secret: Option<Arc<ring::hmac::Key>>,
    pub reader: Arc<Mutex<Journal>>,
    pub counters: Arc<super::Counters>,
}

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/events/{app}/{entity}/{kind}", post(post_event))
        .route("/health", get(health))
        .route("/runs", get(runs))
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(shared)
}

fn error(status: StatusCode, message: impl Into<String>, help: impl Into<String>) -> Response {
    let body = json!({
        "error": message.into(),
        "help": help.into(),
        "status": status.as_u16(),
    });
    (status, axum::Json(body)).into_response()
}

fn refused(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    error(status, problem.message, problem.help)
}

async fn unknown_route(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("there is no route `{method} {}`", uri.path()),
        "post events to /events/{app}/{entity}/{kind}; the others are GET /health and GET /runs?status=failed|held",
    )
}

async fn wrong_method(method: Method, uri: Uri) -> Response {
    let allowed = if uri.path().starts_with("/events/") {
        "POST"
    } else {
        "GET"
    };
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("`{}` does not take {method}", uri.path()),
        format!("use {allowed} for `{}`", uri.path()),
    )
}

/// Whether the body carries a good `X-Weir-Signature` (compared in constant time).
fn signed(key: &ring::hmac::Key, headers: &HeaderMap, body: &[u8]) -> Result<(), Box<Response>> {
    let help =
        "sign the body: X-Weir-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>";
    let Some(value) = headers.get("x-weir-signature") else {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "the request has no `X-Weir-Signature`",
            help,
        )));
    };
    let tag = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().strip_prefix("sha256="))
        .and_then(unhex);
    let Some(tag) = tag else {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "`X-Weir-Signature` is not `sha256=` and 64 hex digits",
            help,
        )));
    };
    ring::hmac::verify(key, body, &tag).map_err(|_| {
        Box::new(error(
            StatusCode::UNAUTHORIZED,
            "`X-Weir-Signature` does not match the body",
            "sign the exact bytes sent, with the secret `weir serve` was given in `--secret-env`",
        ))
    })
}

/// Hex digits to bytes.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Bytes as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

async fn post_event(
    State(shared): State<Shared>,
    Path((app, entity, kind)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let too_big = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {} bytes (1 MiB)", BODY_LIMIT),
            "send one record per request, under 1 MiB",
        )
    };
    let declared = header(&headers, "content-length").and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT) {
        return too_big();
    }
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return too_big();
    };
    if let Some(key) = &shared.secret
        && let Err(response) = signed(key, &headers, &bytes)
    {
        return *response;
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
    let actor = header(&headers, "x-weir-actor");
    let changed = header(&headers, "x-weir-changed");
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
    let (reply, outcome) = oneshot::channel();
    let offer = Offer {
        event: NewEvent {
            key: header(&headers, "x-weir-event-id"),
            app,
            entity,
            kind,
            record: text.to_string(),
            actor,
            changed,
        },
        reply,
    };
    if shared.offers.send(offer).is_err() {
        return stopping();
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

async fn health(State(shared): State<Shared>) -> Response {
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

async fn runs(State(shared): State<Shared>, Query(query): Query<RunsQuery>) -> Response {
    let status = match query.status.as_deref() {
        None | Some("") | Some("all") => None,
        Some(s @ ("failed" | "held")) => Some(s.to_string()),
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
        reader
            .lock()
            .map_err(|_| "the journal reader broke".to_string())
            .and_then(|j| j.list(status.as_deref(), 100).map_err(|e| e.to_string()))
    })
    .await;
    match listed {
        Ok(Ok(rows)) => {
            let runs: Vec<_> = rows.iter().map(super::listed_json).collect();
            axum::Json(json!({ "runs": runs })).into_response()
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
