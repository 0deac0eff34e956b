//! Several `weir serve` on one PostgreSQL journal against a slow real app: how many events per
//! second they accept and complete, one, two and three of them, and whether any record's writes
//! arrive out of order; and one server on SQLite beside one on PostgreSQL, for the cost of the
//! network journal.
//!
//! `cargo bench --bench serve_cluster` starts a PostgreSQL cluster of its own that syncs its
//! commits (`initdb` in a temporary folder; skipped, saying why, where PostgreSQL is missing),
//! the slow app of `serve_scale` in this process (each write waits 20 ms before it answers),
//! then the servers, each with a script whose shop orders become CRM contacts (`create …
//! linked`, then `update … linked` three times). It posts `WEIR_BENCH_RECORDS` records (default
//! 300; four events each) from `WEIR_BENCH_POSTERS` threads (default 64; each posts a record's
//! events one after another, each to the next server, waiting for each `202`), and measures
//! from the first event accepted: accepted/s until the last is accepted, completed/s until the
//! last write is answered, and per-record order violations. Each figure is the best of
//! `WEIR_BENCH_ROUNDS` rounds (default 1), with the machine's load beside it.
//!
//! Where the app is the limit: each server sends at most `WEIR_BENCH_AT_ONCE` writes at once
//! (default 64; the script's `limit at most N at once`), each answered after
//! `WEIR_BENCH_WRITE_MS` (default 20), so one server sends at most N × 1000 / MS writes a
//! second; e.g. `WEIR_BENCH_AT_ONCE=4 WEIR_BENCH_WRITE_MS=100 WEIR_BENCH_RECORDS=100`.

#[path = "../tests/common/postgres.rs"]
#[allow(
    dead_code,
    reason = "the benchmark uses the parts of the cluster it needs"
)]
mod postgres;
mod serving;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use serving::Serving;
use serving::slow_app::{App, serve_app};

fn script(crm: &str) -> String {
    let at_once = env_number("WEIR_BENCH_AT_ONCE", 64);
    format!(
        r#"app Shop at "http://127.0.0.1:9" {{
  order {{ customer: text, email: text }}
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
    )
}

struct Figures {
    events: usize,
    accepted: f64,
    completed: f64,
    violations: usize,
    missing: usize,
    /// The most memory a server held, in KiB.
    memory: u64,
}

/// How long the app takes to answer each write: `WEIR_BENCH_WRITE_MS` (default 20).
fn write_delay() -> Duration {
    Duration::from_millis(env_number("WEIR_BENCH_WRITE_MS", 20) as u64)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// Posts every record's events, each to the next server; when the first was accepted, and
/// when the last.
fn post_all(servers: &[String], records: usize) -> (Instant, Instant) {
    let first = Arc::new(Mutex::new(None::<Instant>));
    let threads = env_number("WEIR_BENCH_POSTERS", 64);
    let servers = Arc::new(servers.to_vec());
    let posters: Vec<_> = (0..threads)
        .map(|t| {
            let (servers, first) = (Arc::clone(&servers), Arc::clone(&first));
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                for r in (t..records).step_by(threads) {
                    let id = format!("o{r}");
                    let email = format!("c{r}@example.com");
                    for v in 0..4 {
                        let (path, customer) = match v {
                            0 => ("order/new", format!("c{r}")),
                            _ => ("order/updated", format!("c{r}-v{v}")),
                        };
                        let base = &servers[(r + v) % servers.len()];
                        let record = json!({"id": id, "customer": customer, "email": email});
                        let reply = client
                            .post(format!("{base}/events/Shop/{path}"))
                            .header("Content-Type", "application/json")
                            .body(record.to_string())
                            .send()
                            .expect("weir answers");
                        assert_eq!(reply.status().as_u16(), 202, "an event refused");
                        first.lock().unwrap().get_or_insert_with(Instant::now);
                    }
                }
            })
        })
        .collect();
    for p in posters {
        p.join().expect("a poster");
    }
    let start = first.lock().unwrap().expect("an event accepted");
    (start, Instant::now())
}

/// One round: `servers` servers on `journal`, the records posted, the app's figures.
fn run(dir: &Path, journal: &str, servers: usize, records: usize) -> Figures {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("a folder");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let crm = App::new(write_delay(), false);
    let url = serve_app(crm.clone(), &runtime);
    std::fs::write(dir.join("shop.weir"), script(&url)).expect("the script");
    let args = ["--max-runs", "100000000", "--backoff-ms", "200"];
    let serving: Vec<Serving> = (0..servers)
        .map(|_| match journal {
            "bench.db" => Serving::start(dir, "shop.weir", &args, &[], false),
            url => Serving::start_on(dir, "shop.weir", url, &args, &[], false),
        })
        .collect();
    let bases: Vec<String> = serving.iter().map(|s| s.base.clone()).collect();
    let (start, accepted) = post_all(&bases, records);
    let events = records * 4;
    let deadline = Instant::now() + Duration::from_secs(300);
    while crm.seen.lock().unwrap().writes < events && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let memory = serving.iter().map(|s| serving::peak_kib(s.pid)).max();
    drop(serving);
    let seen = crm.seen.lock().unwrap();
    let completed = seen.last.map_or(f64::NAN, |l| (l - start).as_secs_f64());
    Figures {
        events,
        accepted: events as f64 / (accepted - start).as_secs_f64(),
        completed: seen.writes as f64 / completed,
        violations: seen
            .versions
            .values()
            .map(|v| v.windows(2).filter(|w| w[1] <= w[0]).count())
            .sum(),
        missing: events - seen.writes.min(events),
        memory: memory.unwrap_or(0),
    }
}

/// Says a configuration's best round; its rates `(accepted, completed)` per second.
fn show(what: &str, rounds: &[Figures]) -> (f64, f64) {
    let Some(best) = rounds
        .iter()
        .max_by(|a, b| a.completed.total_cmp(&b.completed))
    else {
        return (f64::NAN, f64::NAN);
    };
    let violations: usize = rounds.iter().map(|f| f.violations).sum();
    let missing: usize = rounds.iter().map(|f| f.missing).sum();
    println!(
        "  {what}: accepted {:.0} events/s, completed {:.0} events/s ({} events), {violations} order violations, {missing} writes missing in all rounds, {:.1} MiB at most per server [load {}]",
        best.accepted,
        best.completed,
        best.events,
        best.memory as f64 / 1024.0,
        serving::load()
    );
    (best.accepted, best.completed)
}

/// What the network journal costs one server per event: the wall time per event on PostgreSQL
/// beside SQLite, accepting and completing.
fn show_cost(postgres: (f64, f64), sqlite: (f64, f64)) {
    let ms = |rate: f64| 1000.0 / rate;
    let cost = |what: &str, pg: f64, lite: f64| {
        format!(
            "{what} {:.3} ms (SQLite {:.3}, {:+.3} ms)",
            ms(pg),
            ms(lite),
            ms(pg) - ms(lite)
        )
    };
    println!(
        "  one server's wall time per event on PostgreSQL: {}, {}",
        cost("accepting", postgres.0, sqlite.0),
        cost("completing", postgres.1, sqlite.1)
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let records = env_number("WEIR_BENCH_RECORDS", 300);
    let rounds = env_number("WEIR_BENCH_ROUNDS", 1);
    let cluster = match postgres::Cluster::start_durable("bench-cluster") {
        Ok(cluster) => cluster,
        Err(why) => {
            println!("serve_cluster: skipped: {why}");
            return;
        }
    };
    let dir = std::env::temp_dir().join(format!("weir-bench-cluster-{}", std::process::id()));
    println!(
        "serve_cluster: {records} records, each created then updated 3 times ({} events, one write each, {} ms per write, at most {} at once per server), best of {rounds} rounds [load {}]",
        records * 4,
        write_delay().as_millis(),
        env_number("WEIR_BENCH_AT_ONCE", 64),
        serving::load()
    );
    let mut rates = Vec::new();
    for servers in 1..=3 {
        let figures: Vec<Figures> = (0..rounds)
            .map(|round| {
                let db = format!("s{servers}r{round}");
                cluster.create_database(&db).expect("a database");
                run(&dir.join(&db), &cluster.url(&db), servers, records)
            })
            .collect();
        let what = format!("{servers} on one PostgreSQL journal");
        rates.push(show(&what, &figures));
    }
    println!(
        "  completed/s over one server's: two {:.2}×, three {:.2}× (goal: two at least 1.7×)",
        rates[1].1 / rates[0].1,
        rates[2].1 / rates[0].1
    );
    let figures: Vec<Figures> = (0..rounds)
        .map(|round| run(&dir.join(format!("sqlite-{round}")), "bench.db", 1, records))
        .collect();
    let sqlite = show("1 on a SQLite journal", &figures);
    show_cost(rates[0], sqlite);
    let _ = std::fs::remove_dir_all(&dir);
}
