//! Load on `weir serve` over loopback, beside Node-RED's `http in` flow doing the same work.
//!
//! `cargo bench --bench serve` starts `weir serve` with its journal on (every event synced to
//! disk before its 202) and a webhook secret, then drives it from this process with many
//! concurrent signed requests: an order webhook that the script filters (`unless origin ==
//! weir`), transforms (`upper(customer)`) and stores (a contact in the CRM). It reports
//! accepted events per second, p50/p99 latency, how long the worker took to run them all, and
//! the server's peak memory (VmHWM).
//!
//! Then it installs Node-RED with npm into a temporary folder (never into the repository),
//! runs a flow of `http in` → `function` (the same filter, transform and store, into flow
//! context) → `http response`, and drives it the same way. Node-RED keeps nothing on disk and
//! checks no signature, so it does less work per event. If npm cannot install it, the output
//! says so and weir's figures stand alone.
//!
//! `WEIR_BENCH_REQUESTS=N` (default 50,000) sets the requests per side, `WEIR_BENCH_CONCURRENCY=N`
//! (default 128) the requests in flight, `WEIR_BENCH_SECONDS=N` (default 30) the time limit per
//! side, `WEIR_BENCH_ROUNDS=N` (default 3) the rounds, of which each side's best is shown (the
//! machine may be busy with other work); `WEIR_BENCH_NODE_RED=0` skips Node-RED.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod serving;

const SECRET: &str = "bench-secret";

const SCRIPT: &str = include_str!("representative.weir");

/// The same filter, transform and store as a Node-RED function node.
const FUNCTION: &str = r#"
if (msg.req.headers['x-weir-actor'] === 'weir') { msg.statusCode = 202; msg.payload = {status: 'ignored'}; return msg; }
const order = msg.payload;
const contacts = flow.get('contacts') || [];
contacts.push({ name: String(order.customer).toUpperCase(), email: order.email, total: order.total });
flow.set('contacts', contacts);
msg.statusCode = 202;
msg.payload = { status: 'accepted', event: contacts.length };
return msg;
"#;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

struct Figures {
    accepted: usize,
    refused: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
    peak_kib: u64,
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let requests = env_number("WEIR_BENCH_REQUESTS", 50_000);
    let concurrency = env_number("WEIR_BENCH_CONCURRENCY", 128);
    let limit = Duration::from_secs(env_number("WEIR_BENCH_SECONDS", 30) as u64);
    let dir = std::env::temp_dir().join(format!("weir-bench-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    println!(
        "serve: {requests} signed webhook requests per side, {concurrency} in flight, {}s limit, loopback",
        limit.as_secs()
    );

    let rounds = env_number("WEIR_BENCH_ROUNDS", 3).max(1);
    let red = if std::env::var("WEIR_BENCH_NODE_RED").as_deref() == Ok("0") {
        Err("skipped (WEIR_BENCH_NODE_RED=0)".to_string())
    } else {
        install_node_red(&dir)
    };
    let mut red_problem = red.as_ref().err().cloned();
    let (mut best_weir, mut best_red): (Option<(Figures, f64)>, Option<Figures>) = (None, None);
    for round in 0..rounds {
        let weir = run_weir(
            &dir.join(format!("round-{round}")),
            requests,
            concurrency,
            limit,
        );
        if best_weir
            .as_ref()
            .is_none_or(|b| rate(&weir.0) > rate(&b.0))
        {
            best_weir = Some(weir);
        }
        if let Ok(red_dir) = &red {
            match run_node_red(red_dir, requests, concurrency, limit) {
                Ok(f) => {
                    if best_red.as_ref().is_none_or(|b| rate(&f) > rate(b)) {
                        best_red = Some(f);
                    }
                }
                Err(why) => red_problem = Some(why),
            }
        }
    }
    println!(
        "  best of {rounds} rounds each (load average now: {}):",
        serving::load()
    );
    let Some((weir, drained)) = best_weir else {
        unreachable!("expected a round of weir, found none")
    };
    report("weir serve (journal on, fsync before 202)", &weir);
    println!(
        "    worker: ran all {} accepted events {:.2} s after the first request ({:.0} events/s end to end)",
        weir.accepted,
        drained,
        weir.accepted as f64 / drained
    );
    match best_red {
        Some(red) => {
            report(
                "node-red http in → function → http response (memory only)",
                &red,
            );
            println!(
                "  ratio weir/node-red (accepted events per second): {:.1} (goal: at least 10)",
                rate(&weir) / rate(&red)
            );
        }
        None => println!(
            "  node-red: not measured: {}",
            red_problem.unwrap_or_else(|| "no round finished".into())
        ),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn rate(f: &Figures) -> f64 {
    f.accepted as f64 / f.seconds
}

fn report(name: &str, f: &Figures) {
    println!("  {name}");
    println!(
        "    {:.0} accepted events/s ({} accepted, {} refused, {:.2} s), latency p50 {:.2} ms, p99 {:.2} ms, peak memory {:.1} MiB",
        f.accepted as f64 / f.seconds,
        f.accepted,
        f.refused,
        f.seconds,
        f.p50.as_secs_f64() * 1000.0,
        f.p99.as_secs_f64() * 1000.0,
        f.peak_kib as f64 / 1024.0
    );
}

fn bodies(requests: usize) -> Vec<(String, String)> {
    (0..requests)
        .map(|i| {
            let body = format!(
                r#"{{"customer":"Customer {i}","email":"customer{i}@example.com","total":{}.{:02}}}"#,
                i % 500,
                i % 100
            );
            let (timestamp, event_id) = (weir::serve::signing::now().to_string(), format!("bench-{i}"));
            let signature = weir::serve::signing::Signed {
                timestamp: &timestamp,
                method: "POST",
                path: "/events/Shop/order/new",
                event_id: &event_id,
                // The same actor the request names (`X-Weir-Actor: user`): Shop reports actors.
                actor: "user",
                changed: "",
                body: body.as_bytes(),
            }
            .sign(SECRET.as_bytes());
            let headers = format!(
                "X-Weir-Timestamp: {timestamp}\r\nX-Weir-Signature: {signature}\r\nX-Weir-Event-Id: {event_id}\r\n"
            );
            (body, headers)
        })
        .collect()
}

/// Sends every request (or as many as the time limit allows), `concurrency` at a time.
/// Sends every request (or as many as the time limit allows) over `concurrency` kept-alive
/// connections, one request in flight on each. The client is a few lines of HTTP/1.1 over tokio,
/// as load generators like wrk are, so that it leaves the cores to the server being measured.
fn drive(
    url: &str,
    bodies: Vec<(String, String)>,
    concurrency: usize,
    limit: Duration,
) -> (usize, usize, f64, Vec<Duration>) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, path) = (host.to_string(), path.to_string());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let bodies = Arc::new(bodies);
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (bodies, next, host, path) = (
                Arc::clone(&bodies),
                Arc::clone(&next),
                host.clone(),
                path.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let (mut ok, mut refused, mut latencies) = (0usize, 0usize, Vec::new());
                let mut conn: Option<Conn> = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= bodies.len() || start.elapsed() > limit {
                        break;
                    }
                    let (body, signed) = &bodies[i];
                    let request = format!(
                        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nX-Weir-Actor: user\r\n{signed}Content-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let sent = Instant::now();
                    if conn.is_none() {
                        conn = Conn::open(&host).await;
                    }
                    let status = match &mut conn {
                        Some(c) => c.exchange(request.as_bytes()).await,
                        None => None,
                    };
                    match status {
                        Some(202) => {
                            ok += 1;
                            latencies.push(sent.elapsed());
                        }
                        Some(_) => refused += 1,
                        None => {
                            refused += 1;
                            conn = None;
                        }
                    }
                }
                (ok, refused, latencies)
            }));
        }
        let (mut ok, mut refused, mut latencies) = (0, 0, Vec::new());
        for task in tasks {
            let (o, r, l) = task.await.expect("a driver task");
            ok += o;
            refused += r;
            latencies.extend(l);
        }
        (ok, refused, start.elapsed().as_secs_f64(), latencies)
    })
}

/// One kept-alive HTTP/1.1 connection.
struct Conn {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(host: &str) -> Option<Conn> {
        let stream = tokio::net::TcpStream::connect(host).await.ok()?;
        stream.set_nodelay(true).ok()?;
        Some(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends a request and reads its response; the status, or `None` if the connection broke.
    async fn exchange(&mut self, request: &[u8]) -> Option<u16> {
        let mut sent = 0;
        while sent < request.len() {
            self.stream.writable().await.ok()?;
            match self.stream.try_write(&request[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return None,
            }
        }
        loop {
            if let Some((status, length)) = self.complete() {
                self.buf.drain(..length);
                return Some(status);
            }
            self.stream.readable().await.ok()?;
            let mut chunk = [0u8; 4096];
            match self.stream.try_read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return None,
            }
        }
    }

    /// The status and whole length of the response in the buffer, once it is all there
    /// (`Content-Length` or chunked).
    fn complete(&self) -> Option<(u16, usize)> {
        let end = self.buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let head = std::str::from_utf8(&self.buf[..end]).ok()?;
        let status: u16 = head.get(9..12)?.parse().ok()?;
        let mut length = None;
        let mut chunked = false;
        for line in head.lines() {
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        if chunked {
            let tail = self.buf[end..].windows(5).position(|w| w == b"0\r\n\r\n")?;
            return Some((status, end + tail + 5));
        }
        let total = end + length.unwrap_or(0);
        (self.buf.len() >= total).then_some((status, total))
    }
}

fn figures(
    accepted: usize,
    refused: usize,
    seconds: f64,
    mut latencies: Vec<Duration>,
    peak_kib: u64,
) -> Figures {
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Figures {
        accepted,
        refused,
        seconds,
        p50: at(0.50),
        p99: at(0.99),
        peak_kib,
    }
}

fn run_weir(dir: &Path, requests: usize, concurrency: usize, limit: Duration) -> (Figures, f64) {
    std::fs::create_dir_all(dir).expect("a folder for the round");
    std::fs::write(dir.join("shop.weir"), SCRIPT).expect("the script");
    let serving = serving::Serving::start(
        dir,
        "shop.weir",
        &[
            "--secret-env",
            "WEIR_BENCH_SECRET",
            "--read-token-env",
            "WEIR_BENCH_READ",
            "--max-runs",
            "100000000",
        ],
        &[("WEIR_BENCH_SECRET", SECRET), ("WEIR_BENCH_READ", SECRET)],
        true,
    );
    let (base, pid) = (serving.base.clone(), serving.pid);
    let start = Instant::now();
    let (ok, refused, seconds, latencies) = drive(
        &format!("{base}/events/Shop/order/new"),
        bodies(requests),
        concurrency,
        limit,
    );
    let health = format!("{base}/health");
    let drained = loop {
        let queued = reqwest::blocking::Client::new()
            .get(&health)
            .bearer_auth(SECRET)
            .send()
            .ok()
            .and_then(|r| r.text().ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|j| j["queued"].as_u64());
        if queued == Some(0) || start.elapsed() > limit * 4 {
            break start.elapsed().as_secs_f64();
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let peak = serving::peak_kib(pid);
    drop(serving);
    (figures(ok, refused, seconds, latencies, peak), drained)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Installs Node-RED with npm into a folder of the bench's own; the folder, or why not.
fn install_node_red(dir: &Path) -> Result<PathBuf, String> {
    let red: PathBuf = dir.join("node-red");
    std::fs::create_dir_all(&red).map_err(|e| e.to_string())?;
    println!("  installing node-red with npm into {} …", red.display());
    let install = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&red)
        .arg("node-red")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("npm could not be started ({e})"))?;
    if !install.status.success() {
        let why = String::from_utf8_lossy(&install.stderr);
        return Err(format!(
            "npm could not install node-red: {}",
            why.lines().next().unwrap_or("")
        ));
    }
    Ok(red)
}

fn run_node_red(
    red: &Path,
    requests: usize,
    concurrency: usize,
    limit: Duration,
) -> Result<Figures, String> {
    let port = free_port();
    let flows = serde_json::json!([
        {"id": "tab", "type": "tab", "label": "bench"},
        {"id": "in", "type": "http in", "z": "tab", "url": "/events/Shop/order/new", "method": "post", "wires": [["fn"]]},
        {"id": "fn", "type": "function", "z": "tab", "func": FUNCTION, "outputs": 1, "wires": [["out"]]},
        {"id": "out", "type": "http response", "z": "tab", "wires": []}
    ]);
    std::fs::write(red.join("flows.json"), flows.to_string()).map_err(|e| e.to_string())?;
    let settings = format!(
        "module.exports = {{ uiPort: {port}, uiHost: '127.0.0.1', flowFile: 'flows.json', httpAdminRoot: false, logging: {{ console: {{ level: 'warn' }} }} }};"
    );
    std::fs::write(red.join("settings.js"), settings).map_err(|e| e.to_string())?;
    let child = Command::new("node")
        .arg(red.join("node_modules/node-red/red.js"))
        .args(["--userDir"])
        .arg(red)
        .args(["--settings"])
        .arg(red.join("settings.js"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("node could not start node-red ({e})"))?;
    let pid = child.id();
    let child = serving::Reaped(child);
    let url = format!("http://127.0.0.1:{port}/events/Shop/order/new");
    let up = Instant::now();
    loop {
        let probe = reqwest::blocking::Client::new()
            .post(&url)
            .header("Content-Type", "application/json")
            .body(r#"{"customer":"warm","email":"w@example.com","total":1}"#)
            .send();
        if probe.is_ok_and(|r| r.status().as_u16() == 202) {
            break;
        }
        if up.elapsed() > Duration::from_secs(60) {
            return Err("node-red did not answer within a minute of starting".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (ok, refused, seconds, latencies) = drive(&url, bodies(requests), concurrency, limit);
    let peak = serving::peak_kib(pid);
    drop(child);
    Ok(figures(ok, refused, seconds, latencies, peak))
}
