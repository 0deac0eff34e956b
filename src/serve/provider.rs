//! The routes of providers' webhooks under `weir serve`: each app's `webhooks at "/hooks/…"`.
//!
//! ```text
//! POST /hooks/github  X-Hub-Signature-256: sha256=…  X-GitHub-Event: issues  {"action":"opened",…}  → 202
//! POST /hooks/github  (a wrong signature)                                                        → 401
//! POST /hooks/stripe  Stripe-Signature: t=<an hour ago>,v1=…                                     → 401
//! POST /hooks/github  X-GitHub-Event: issues  {"action":"labeled",…}  (no meaning declared)      → 422
//! POST /hooks/slack   {"type":"url_verification","challenge":"…"}                               → 200 {"challenge":"…"}
//! ```
//!
//! A request is checked in this order: size (413), signature and its time (401, see
//! [`super::schemes`]), JSON or a form (422, see [`envelope::body`]), kind and record (422,
//! see [`super::hooks`]), the record against the entity (422, as on weir's own route). What
//! passes is journaled as the flat record weir's own route takes, under the provider's event
//! id (or its signature), so a delivery sent again is answered `duplicate` and runs once.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::envelope;
use super::hooks::Webhooks;
use super::journal::{self, NewEvent};
use super::schemes::Scheme;
use super::server::{Shared, error, header, offer, read_body, refused};
use super::signing;
use super::webhook;
use crate::program::Program;
use crate::suggest;

/// The secret of each signed route, read when weir starts.
#[derive(Clone, Default)]
pub struct Secrets(Arc<HashMap<String, Arc<[u8]>>>);

impl Secrets {
    /// Reads every route's secret. A route whose secret is not set is off, with a warning
    /// for each: a shipped connector declares webhooks that a script may not use.
    pub fn read(program: &Program) -> (Secrets, Vec<String>) {
        let mut secrets = HashMap::new();
        let mut warnings = Vec::new();
        for hooks in all(program) {
            if let Some(signed) = &hooks.signed {
                let app = &program.app(hooks.app).name;
                match super::hooks::secret(app, signed) {
                    Ok(secret) => {
                        secrets.insert(hooks.path.clone(), Arc::from(secret));
                    }
                    Err(_) => warnings.push(format!(
                        "warning: the webhooks of `{app}` at {} are off: {} holds no secret; set it to the provider's webhook secret and restart to take them",
                        hooks.path,
                        signed.secret.describe()
                    )),
                }
            }
        }
        (Secrets(Arc::new(secrets)), warnings)
    }
}

/// Every app's webhooks.
fn all(program: &Program) -> impl Iterator<Item = &Arc<Webhooks>> {
    program
        .apps
        .iter()
        .filter_map(|a| a.location.as_ref())
        .flat_map(|l| l.webhooks.iter())
}

/// `, providers' webhooks at /hooks/github (GitHub), …` for the line that says weir listens.
pub fn listed(program: &Program) -> String {
    let routes: Vec<String> = all(program)
        .map(|h| format!("{} ({})", h.path, program.app(h.app).name))
        .collect();
    if routes.is_empty() {
        return String::new();
    }
    format!(", providers' webhooks at {}", routes.join(", "))
}

/// A router with a route for each app's webhooks.
pub fn routes(program: &Program) -> Router<Shared> {
    all(program).fold(Router::new(), |router, hooks| {
        let hooks = Arc::clone(hooks);
        router.route(
            &hooks.path.clone(),
            post(
                move |State(shared): State<Shared>, headers: HeaderMap, body: Body| {
                    receive(shared, hooks, headers, body)
                },
            ),
        )
    })
}

/// The help of a 404 when the script has webhooks: the closest of their routes.
pub fn unknown_route_help(program: &Program, path: &str) -> Option<String> {
    let paths: Vec<&str> = all(program).map(|h| h.path.as_str()).collect();
    if paths.is_empty() {
        return None;
    }
    let listed: Vec<String> = paths.iter().map(|p| format!("POST {p}")).collect();
    Some(match suggest::closest(path, paths.iter().copied()) {
        Some(close) => format!(
            "did you mean `POST {close}`? point the provider's webhook at it; the routes are {}",
            listed.join(", ")
        ),
        None => format!(
            "point the provider's webhook at one of {}, as its app declares with `webhooks at`; weir's own events go to /events/{{app}}/{{entity}}/{{kind}}",
            listed.join(", ")
        ),
    })
}

async fn receive(shared: Shared, hooks: Arc<Webhooks>, headers: HeaderMap, body: Body) -> Response {
    let bytes = match read_body(&shared, &headers, body).await {
        Ok(bytes) => bytes,
        Err(response) => return *response,
    };
    let read_header = |name: &str| header(&headers, name);
    let mut signature = None;
    if let Some(signed) = &hooks.signed {
        let Some(secret) = shared.hook_secrets.0.get(&hooks.path) else {
            let app = &shared.program.app(hooks.app).name;
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the webhooks of `{app}` are off: {} held no secret when weir started",
                    signed.secret.describe()
                ),
                "set it to the provider's webhook secret and restart `weir serve`; the provider sends the webhook again later",
            );
        };
        let checked =
            signed
                .scheme
                .verify(secret, read_header, &bytes, signing::now(), signed.window);
        if let Err(why) = checked {
            return error(StatusCode::UNAUTHORIZED, why.message, why.help);
        }
        signature = header(&headers, signed.scheme.header());
    }
    let body = match envelope::body(header(&headers, "Content-Type").as_deref(), &bytes) {
        Ok(json) => json,
        Err(why) => return error(StatusCode::UNPROCESSABLE_ENTITY, why.message, why.help),
    };
    // GitHub pings a webhook when it is made; answered, so GitHub shows the webhook working.
    if matches!(&hooks.signed, Some(s) if s.scheme == Scheme::GitHub)
        && read_header("X-GitHub-Event").as_deref() == Some("ping")
    {
        let pong = serde_json::json!({ "status": "pong", "note": "nothing runs on a ping" });
        return axum::Json(pong).into_response();
    }
    // Slack checks a URL of its Events API, once, by asking it to echo a challenge back.
    if matches!(&hooks.signed, Some(s) if s.scheme == Scheme::Slack)
        && body.json["type"] == "url_verification"
        && let Some(challenge) = body.json["challenge"].as_str()
    {
        return axum::Json(serde_json::json!({ "challenge": challenge })).into_response();
    }
    let program = &shared.program;
    let read = match hooks.read(program, &body, read_header) {
        Ok(read) => read,
        Err(problem) => return refused(problem),
    };
    if let Err(problem) = webhook::parse(program, read.entity, read.event, &read.record, None, None)
    {
        return refused(problem);
    }
    let app = program.app(hooks.app).name.to_string();
    let entity = program.entity(read.entity).name.to_string();
    let kind = read.event.to_string();
    let event = NewEvent {
        key: journal::event_key(
            &app,
            &entity,
            &kind,
            read.event_id.as_deref(),
            signature.as_deref(),
        ),
        app,
        entity,
        kind,
        record: read.record,
        actor: None,
        changed: None,
    };
    offer(&shared, event).await
}
