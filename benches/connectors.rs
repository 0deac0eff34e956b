//! Requests per second to a real app through a connector, beside a hand-written reqwest loop
//! making the same requests.
//!
//! `cargo bench --bench connectors` starts a local mock of HubSpot's contacts API (axum, on
//! 127.0.0.1, keep-alive, answering each create with an id and the properties it was sent),
//! then runs:
//!
//! - **weir**: `weir run` of a script that uses the shipped HubSpot connector (its URL on the
//!   mock) and turns each of N input orders into `create contact in HubSpot { … }`: the
//!   request built from the mapping (`{"properties": {…}}`, bearer token, idempotency key),
//!   sent, the id read from the reply;
//! - **baseline**: a `reqwest` blocking client POSTing the same N bodies with the same headers
//!   and reading the id from each reply, as a Rust programmer would write it by hand.
//!
//! It prints requests per second for both and the ratio. `WEIR_BENCH_REQUESTS=N` changes N
//! (default 20,000); `WEIR_BENCH_ROUNDS=N` keeps the best of N rounds (default 3).

use std::io::Write;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Json;
use axum::routing::post;
use serde_json::{Value, json};

fn main() {
    let requests: usize = std::env::var("WEIR_BENCH_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let rounds: usize = std::env::var("WEIR_BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let url = start_mock();
    let dir = std::env::temp_dir().join(format!("weir-bench-connectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let connector = std::fs::read_to_string("connectors/hubspot.weir").unwrap();
    let connector = connector.replace("\"https://api.hubapi.com\"", &format!("\"{url}\""));
    let script = connector
        + "
app Shop {
  order { email: text, name: text }
}

workflow order_to_contact {
  on new order in Shop
  create contact in HubSpot { email: email, first_name: name }
}
";
    std::fs::write(dir.join("script.weir"), script).unwrap();
    let mut events =
        std::io::BufWriter::new(std::fs::File::create(dir.join("events.jsonl")).unwrap());
    for n in 0..requests {
        let line = json!({"kind": "new", "app": "Shop", "entity": "order",
            "record": {"email": format!("c{n}@example.com"), "name": format!("Name {n}")}, "actor": "user"});
        writeln!(events, "{line}").unwrap();
    }
    drop(events);

    let mut weir_best = f64::MAX;
    let mut baseline_best = f64::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        // One run per request: the run budget must allow them all (its default is 10,000).
        let budget = requests.to_string();
        let out = Command::new(env!("CARGO_BIN_EXE_weir"))
            .args([
                "run",
                "script.weir",
                "--events",
                "events.jsonl",
                "--trace",
                "summary",
                "--max-runs",
                &budget,
            ])
            .current_dir(&dir)
            .env("HUBSPOT_TOKEN", "bench-token")
            .output()
            .expect("weir runs");
        weir_best = weir_best.min(start.elapsed().as_secs_f64());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        let start = Instant::now();
        baseline(&url, requests);
        baseline_best = baseline_best.min(start.elapsed().as_secs_f64());
    }
    let weir_rate = requests as f64 / weir_best;
    let baseline_rate = requests as f64 / baseline_best;
    println!("{requests} creates to a local HubSpot mock, best of {rounds}:");
    println!(
        "  weir run, HubSpot connector:   {weir_rate:>10.0} requests/s ({weir_best:.2} s, process start and checking included)"
    );
    println!(
        "  hand-written reqwest loop:     {baseline_rate:>10.0} requests/s ({baseline_best:.2} s)"
    );
    println!("  weir / baseline: {:.2}", weir_rate / baseline_rate);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same requests by hand: one blocking client (connections reused), the body built with
/// `json!`, the id read from the reply.
fn baseline(url: &str, requests: usize) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::blocking::Client::new();
    let endpoint = format!("{url}/crm/v3/objects/contacts");
    for n in 0..requests {
        let body = json!({"properties": {"email": format!("c{n}@example.com"), "firstname": format!("Name {n}")}});
        let reply = client
            .post(&endpoint)
            .bearer_auth("bench-token")
            .header("Idempotency-Key", format!("bench-{n}/1"))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .and_then(|r| r.bytes())
            .expect("a reply");
        let reply: Value = serde_json::from_slice(&reply).expect("JSON");
        std::hint::black_box(reply["id"].as_str().expect("an id"));
    }
}

/// HubSpot's create, as the mock answers it.
fn start_mock() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let next = Arc::new(AtomicU64::new(1));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = axum::Router::new().route(
                "/crm/v3/objects/contacts",
                post(move |Json(body): Json<Value>| {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    async move {
                        (
                            axum::http::StatusCode::CREATED,
                            Json(json!({"id": id.to_string(), "properties": body["properties"], "archived": false})),
                        )
                    }
                }),
            );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    url
}
