//! The slow app of the benchmarks that drive `weir serve` against real apps (`serve_scale`,
//! `serve_cluster`): a REST app on loopback whose writes each wait a while before they answer,
//! counting how many are in flight and the order each record's versions arrive in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::{patch, post};
use serde_json::{Value as Json, json};

/// The slow app's record of what it was sent.
#[derive(Default)]
pub struct Seen {
    /// Each contact's versions, in the order they arrived (0: the create).
    pub versions: HashMap<u64, Vec<u32>>,
    pub last: Option<Instant>,
    pub writes: usize,
}

#[derive(Clone)]
pub struct App {
    pub delay: Duration,
    pub down: bool,
    pub next: Arc<AtomicUsize>,
    pub flying: Arc<AtomicUsize>,
    pub peak: Arc<AtomicUsize>,
    pub seen: Arc<Mutex<Seen>>,
}

impl App {
    pub fn new(delay: Duration, down: bool) -> App {
        App {
            delay,
            down,
            next: Arc::new(AtomicUsize::new(1)),
            flying: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
            seen: Arc::new(Mutex::new(Seen::default())),
        }
    }

    /// A write arrives: counted in flight while it waits its delay.
    async fn write(&self, id: u64, version: u32) {
        let now = self.flying.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        self.seen
            .lock()
            .unwrap()
            .versions
            .entry(id)
            .or_default()
            .push(version);
        tokio::time::sleep(self.delay).await;
        self.flying.fetch_sub(1, Ordering::SeqCst);
        let mut seen = self.seen.lock().unwrap();
        seen.last = Some(Instant::now());
        seen.writes += 1;
    }
}

/// `c12-v3` → 3; a create's name has no version (0).
fn version(body: &Json) -> u32 {
    body["name"]
        .as_str()
        .and_then(|n| n.rsplit_once("-v"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

async fn create(State(app): State<App>, body: axum::Json<Json>) -> (StatusCode, axum::Json<Json>) {
    if app.down {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"error": "down"})),
        );
    }
    let id = app.next.fetch_add(1, Ordering::SeqCst) as u64;
    app.write(id, version(&body)).await;
    (StatusCode::CREATED, axum::Json(json!({ "id": id })))
}

async fn update(
    State(app): State<App>,
    UrlPath((_, id)): UrlPath<(String, u64)>,
    body: axum::Json<Json>,
) -> (StatusCode, axum::Json<Json>) {
    if app.down {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"error": "down"})),
        );
    }
    app.write(id, version(&body)).await;
    (StatusCode::OK, axum::Json(json!({})))
}

/// Starts an app on loopback in its own runtime; its URL.
pub fn serve_app(app: App, runtime: &tokio::runtime::Runtime) -> String {
    let router = Router::new()
        .route("/{entity}", post(create))
        .route("/{entity}/{id}", patch(update))
        .with_state(app);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    runtime.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    url
}
