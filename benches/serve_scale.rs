//! `weir serve` against slow real apps: how many events per second it runs when every write
//! takes a while to answer, how many writes it has in flight, and whether any record's writes
//! arrive out of order.
//!
//! `cargo bench --bench serve_scale` starts a slow REST app in this process (axum on loopback:
//! each write waits 20 ms, or 100 ms, before it answers), then `weir serve` with a script whose
//! shop orders become CRM contacts (`create … linked`, then `update … linked`). It posts 300
//! records, each created and then updated three times (1,200 events, each one write), from 8
//! threads, and measures from the first event accepted to the last write answered: events per
//! second, the most writes the app had in flight, and per-record order violations (a write of a
//! record arriving before an earlier one of the same record). It runs:
//!
//! - 20 ms per write, with the CRM declared `limit at most N at once` for N = 1, 4, 16, 64;
//! - 100 ms per write at 64;
//! - 20 ms at 64 beside a second app that is down (every write answered 503), whose own events
//!   are posted alongside: the healthy app's rate, to compare with its rate alone.
//!
//! `WEIR_BENCH_RECORDS=N` (default 300) sets the records, `WEIR_BENCH_POSTERS=N` (default 8) the
//! threads that post.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
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
struct Seen {
    /// Each contact's versions, in the order they arrived (0: the create).
    versions: HashMap<u64, Vec<u32>>,
    last: Option<Instant>,
    writes: usize,
}

#[derive(Clone)]
struct App {
    delay: Duration,
    down: bool,
    next: Arc<AtomicUsize>,
    flying: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    seen: Arc<Mutex<Seen>>,
}

impl App {
    fn new(delay: Duration, down: bool) -> App {
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
fn serve_app(app: App, runtime: &tokio::runtime::Runtime) -> String {
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

fn script(crm: &str, at_once: usize, down: Option<&str>) -> String {
    let mut text = format!(
        r#"app Shop at "http://127.0.0.1:9" {{
  order {{ customer: text, email: text }}
  lead {{ email: text }}
}}

app Crm at "{crm}" {{
  limit at most {at_once} at once
  contact {{ name: text, email: text }}
}}

workflow make {{
  on new order in Shop
  create contact in Crm {{ name: customer, email: email }}
}}

workflow follow {{
  on updated order in Shop
  update contact in Crm linked {{ name: customer }}
}}
"#
    );
    if let Some(down) = down {
        text.push_str(&format!(
            r#"
app Down at "{down}" {{
  limit at most {at_once} at once
  note {{ email: text }}
}}

workflow note {{
  on new lead in Shop
  create note in Down {{ email: email }}
}}
"#
        ));
    }
    text
}

/// Ends a child process started here.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Figures {
    events: usize,
    seconds: f64,
    peak: usize,
    violations: usize,
    writes: usize,
    /// From the first event accepted to the last.
    posting: f64,
}

/// One run: `weir serve` on a fresh journal, the records posted, the app's figures.
#[expect(
    clippy::too_many_lines,
    reason = "one measured run: server started, records posted, figures read, server stopped"
)]
fn run(dir: &Path, delay: Duration, at_once: usize, with_down: bool, records: usize) -> Figures {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("a folder");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let crm = App::new(delay, false);
    let crm_url = serve_app(crm.clone(), &runtime);
    let down_url = with_down.then(|| serve_app(App::new(delay, true), &runtime));
    std::fs::write(
        dir.join("shop.weir"),
        script(&crm_url, at_once, down_url.as_deref()),
    )
    .expect("the script");
    let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args([
            "serve",
            "shop.weir",
            "--listen",
            "127.0.0.1:0",
            "--journal",
            "bench.db",
            "--max-runs",
            "100000000",
            "--retries",
            "3",
            "--backoff-ms",
            "200",
        ])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("weir serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("its output"))
        .read_line(&mut line)
        .expect("weir serve says where it listens");
    let child = Reaped(child);
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("an address")
        .trim_end_matches(',')
        .to_string();
    let first = Arc::new(Mutex::new(None::<Instant>));
    let threads = posters();
    let posters: Vec<_> = (0..threads)
        .map(|t| {
            let (base, first) = (base.clone(), Arc::clone(&first));
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                let post = |path: &str, record: Json| {
                    let reply = client
                        .post(format!("{base}/events/Shop/{path}"))
                        .header("Content-Type", "application/json")
                        .body(record.to_string())
                        .send()
                        .expect("weir answers");
                    assert_eq!(reply.status().as_u16(), 202, "an event refused");
                    first.lock().unwrap().get_or_insert_with(Instant::now);
                };
                for r in (t..records).step_by(threads) {
                    let email = format!("c{r}@example.com");
                    let id = format!("o{r}");
                    post(
                        "order/new",
                        json!({"id": id, "customer": format!("c{r}"), "email": email}),
                    );
                    if with_down {
                        post("lead/new", json!({"id": format!("l{r}"), "email": email}));
                    }
                    for v in 1..=3 {
                        let name = format!("c{r}-v{v}");
                        post(
                            "order/updated",
                            json!({"id": id, "customer": name, "email": email}),
                        );
                    }
                }
            })
        })
        .collect();
    for p in posters {
        p.join().expect("a poster");
    }
    let accepted = Instant::now();
    let expected = records * 4;
    let deadline = Instant::now() + Duration::from_secs(300);
    while crm.seen.lock().unwrap().writes < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(child);
    let seen = crm.seen.lock().unwrap();
    let start = first.lock().unwrap().expect("an event accepted");
    let seconds = seen.last.map_or(0.0, |l| (l - start).as_secs_f64());
    let posting = (accepted - start).as_secs_f64();
    let violations = seen
        .versions
        .values()
        .map(|v| v.windows(2).filter(|w| w[1] <= w[0]).count())
        .sum();
    Figures {
        events: expected,
        seconds,
        peak: crm.peak.load(Ordering::SeqCst),
        violations,
        writes: seen.writes,
        posting,
    }
}

/// The threads that post events (`WEIR_BENCH_POSTERS`, default 8): each waits for its event's
/// `202`, which comes once the event is synced to disk, so few posters measure the intake's
/// latency as much as the writes.
fn posters() -> usize {
    std::env::var("WEIR_BENCH_POSTERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(8)
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let records: usize = std::env::var("WEIR_BENCH_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let dir = std::env::temp_dir().join(format!("weir-bench-scale-{}", std::process::id()));
    println!(
        "serve_scale: {records} records, each created then updated 3 times ({} events, one write each), posted from {} threads, loopback",
        records * 4,
        posters()
    );
    let show = |what: &str, f: &Figures| {
        println!(
            "  {what}: {:.0} events/s ({} CRM writes of {} in {:.2} s, first accept → last write; all accepted after {:.2} s), at most {} writes in flight, {} order violations",
            f.events as f64 / f.seconds,
            f.writes,
            f.events,
            f.seconds,
            f.posting,
            f.peak,
            f.violations
        );
    };
    let ms20 = Duration::from_millis(20);
    let mut alone = None;
    for at_once in [1, 4, 16, 64] {
        let f = run(
            &dir.join(format!("l{at_once}")),
            ms20,
            at_once,
            false,
            records,
        );
        show(&format!("20 ms per write, at most {at_once} at once"), &f);
        if at_once == 64 {
            alone = Some(f.events as f64 / f.seconds);
        }
    }
    let f = run(
        &dir.join("slow"),
        Duration::from_millis(100),
        64,
        false,
        records,
    );
    show("100 ms per write, at most 64 at once", &f);
    let f = run(&dir.join("down"), ms20, 64, true, records);
    show(
        "20 ms, at most 64 at once, beside an app that answers every write 503",
        &f,
    );
    if let Some(alone) = alone {
        println!(
            "  healthy app beside the down one: {:.0}% of its rate alone (goal: at least 80%)",
            100.0 * (f.events as f64 / f.seconds) / alone
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
