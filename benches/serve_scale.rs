//! `weir serve` against slow real apps: how many events per second it runs when every write
//! takes a while to answer, how many writes it has in flight, and whether any record's writes
//! arrive out of order.
//!
//! `cargo bench --bench serve_scale` starts a slow REST app in this process (axum on loopback:
//! each write waits 20 ms, or 100 ms, before it answers), then `weir serve` with a script whose
//! shop orders become CRM contacts (`create … linked`, then `update … linked`). It posts 300
//! records, each created and then updated three times (1,200 events, each one write), from 64
//! threads (each posts a record's events one after another, waiting for each `202`), and
//! measures from the first event accepted to the last write answered: events per second, the
//! most writes the app had in flight, and per-record order violations (a write of a record
//! arriving before an earlier one of the same record). It also says how fast the events were
//! accepted, apart from running them. It runs:
//!
//! - 20 ms per write, with the CRM declared `limit at most N at once` for N = 1, 4, 16, 64;
//! - 100 ms per write at 64;
//! - isolation: 20 ms at 64, the healthy app alone, then beside a second app that is down
//!   (every write answered 503, its own events posted alongside), in turns, on 1,000 records:
//!   the healthy app's rate beside the down one over its rate alone, for each pair of turns.
//!
//! Each figure is the best of `WEIR_BENCH_ROUNDS` rounds (default 3), with the slowest beside
//! it: the machine may be busy with other work, and its load average is printed with the
//! figures. `WEIR_BENCH_RECORDS=N` (default 300) sets the records,
//! `WEIR_BENCH_ISOLATION_RECORDS=N` (default 1000) those of the isolation turns, and
//! `WEIR_BENCH_POSTERS=N` (default 64) the threads that post.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

mod serving;

use serving::slow_app::{App, serve_app};

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

struct Figures {
    /// The healthy app's events (one write each).
    events: usize,
    seconds: f64,
    peak: usize,
    violations: usize,
    writes: usize,
    /// Every event posted (with the down app's), and how long from the first accepted to the
    /// last.
    posted: usize,
    posting: f64,
    /// The most memory `weir serve` held, in KiB.
    memory: u64,
}

impl Figures {
    fn rate(&self) -> f64 {
        self.events as f64 / self.seconds
    }
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
    let serving = serving::Serving::start(
        dir,
        "shop.weir",
        &[
            "--max-runs",
            "100000000",
            "--retries",
            "3",
            "--backoff-ms",
            "200",
        ],
        &[],
        false,
    );
    let first = Arc::new(Mutex::new(None::<Instant>));
    let posted = Arc::new(AtomicUsize::new(0));
    let threads = posters();
    let posters: Vec<_> = (0..threads)
        .map(|t| {
            let (base, first) = (serving.base.clone(), Arc::clone(&first));
            let posted = Arc::clone(&posted);
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
                    posted.fetch_add(1, Ordering::Relaxed);
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
        std::thread::sleep(Duration::from_millis(5));
    }
    let memory = serving::peak_kib(serving.pid);
    drop(serving);
    let seen = crm.seen.lock().unwrap();
    let start = first.lock().unwrap().expect("an event accepted");
    let seconds = seen.last.map_or(0.0, |l| (l - start).as_secs_f64());
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
        posted: posted.load(Ordering::Relaxed),
        posting: (accepted - start).as_secs_f64(),
        memory,
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// The threads that post events (`WEIR_BENCH_POSTERS`, default 64). Each waits for its event's
/// `202`, which comes once the event is synced to disk: with few posters, the time a sync
/// takes limits how fast events come in, whatever weir does with them after.
fn posters() -> usize {
    env_number("WEIR_BENCH_POSTERS", 64)
}

fn show(what: &str, rounds: &[Figures]) {
    let Some(best) = rounds.iter().max_by(|a, b| a.rate().total_cmp(&b.rate())) else {
        return;
    };
    let slowest = rounds
        .iter()
        .map(Figures::rate)
        .fold(f64::INFINITY, f64::min);
    let violations: usize = rounds.iter().map(|f| f.violations).sum();
    let missing: usize = rounds
        .iter()
        .map(|f| f.events - f.writes.min(f.events))
        .sum();
    println!(
        "  {what}: {:.0} events/s (slowest round {slowest:.0}; {} writes in {:.2} s, first accept → last write), accepted at {:.0} events/s, at most {} writes in flight, {violations} order violations, {missing} writes missing in all rounds, {:.1} MiB at most [load {}]",
        best.rate(),
        best.writes,
        best.seconds,
        best.posted as f64 / best.posting,
        best.peak,
        best.memory as f64 / 1024.0,
        serving::load()
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let records = env_number("WEIR_BENCH_RECORDS", 300);
    let isolation = env_number("WEIR_BENCH_ISOLATION_RECORDS", 1000);
    let rounds = env_number("WEIR_BENCH_ROUNDS", 3);
    let dir = std::env::temp_dir().join(format!("weir-bench-scale-{}", std::process::id()));
    println!(
        "serve_scale: {records} records, each created then updated 3 times ({} events, one write each), posted from {} threads, loopback; best of {rounds} rounds [load {}]",
        records * 4,
        posters(),
        serving::load()
    );
    let ms20 = Duration::from_millis(20);
    for at_once in [1, 4, 16, 64] {
        let figures: Vec<Figures> = (0..rounds)
            .map(|round| {
                let at = dir.join(format!("l{at_once}-{round}"));
                run(&at, ms20, at_once, false, records)
            })
            .collect();
        show(
            &format!("20 ms per write, at most {at_once} at once"),
            &figures,
        );
    }
    let figures: Vec<Figures> = (0..rounds)
        .map(|round| {
            let at = dir.join(format!("slow-{round}"));
            run(&at, Duration::from_millis(100), 64, false, records)
        })
        .collect();
    show("100 ms per write, at most 64 at once", &figures);
    // Alone and beside the down app in turns, so that a busy spell of the machine falls on
    // both rather than on one.
    let (mut alone, mut beside, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let a = run(
            &dir.join(format!("alone-{round}")),
            ms20,
            64,
            false,
            isolation,
        );
        let b = run(
            &dir.join(format!("down-{round}")),
            ms20,
            64,
            true,
            isolation,
        );
        ratios.push(100.0 * b.rate() / a.rate());
        alone.push(a);
        beside.push(b);
    }
    println!(
        "  isolation, {isolation} records ({} healthy events), 20 ms, at most 64 at once:",
        isolation * 4
    );
    show("healthy app alone", &alone);
    show(
        "healthy app beside an app that answers every write 503",
        &beside,
    );
    ratios.sort_by(f64::total_cmp);
    let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.0}%")).collect();
    println!(
        "  healthy app beside the down one, over its rate alone, in each pair of turns: {} (median {:.0}%; goal: at least 80%)",
        shown.join(", "),
        ratios[ratios.len() / 2]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
