//! Polling against a local app that pages its list and changes its records between polls:
//! `weir serve --poll-once` and `weir serve` (killed with `kill -9` in between, and in the
//! middle of a poll, between two pages) make one event for each change, and never one twice.
//! A poll that reads back weir's own write is its echo: the run-time guard stops the loop.

#[expect(
    dead_code,
    reason = "the helpers serve several test files; this one needs a few"
)]
#[path = "real_apps/rest_app.rs"]
mod rest_app;
#[expect(
    dead_code,
    reason = "the helpers serve several test files; this one needs a few"
)]
#[path = "real_apps/serve.rs"]
mod serve;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value as Json, json};
use serve::{Serve, scratch, text, wait_until, weir};

/// A CRM whose `GET /contacts?page=N` answers two records a page under `results`, and an
/// empty page after the last. Each request is counted; the server stops with the test. While
/// `stall` is set, it holds back its answer to a second page (and says so in `stalled`).
struct Crm {
    url: String,
    records: Arc<Mutex<Vec<Json>>>,
    since: Arc<Mutex<Vec<Option<String>>>>,
    stall: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
}

impl Crm {
    fn start(records: Vec<Json>) -> Crm {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let records = Arc::new(Mutex::new(records));
        let since = Arc::new(Mutex::new(Vec::new()));
        let (held, asked) = (Arc::clone(&records), Arc::clone(&since));
        let (stall, stalled) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let (stall_here, stalled_here) = (Arc::clone(&stall), Arc::clone(&stalled));
        std::thread::spawn(move || {
            // Bounded: no test asks for more pages than this.
            for stream in listener.incoming().take(500) {
                let Ok(mut stream) = stream else { break };
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                let url = reqwest::Url::parse(&format!("http://h{target}")).unwrap();
                let query = |name: &str| {
                    url.query_pairs()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.to_string())
                };
                let page: usize = query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                if page == 1 {
                    asked.lock().unwrap().push(query("updated_since"));
                }
                if page == 2 && stall_here.load(Ordering::SeqCst) {
                    stalled_here.store(true, Ordering::SeqCst);
                    // Bounded: thirty seconds at most, the test lets it go much sooner.
                    for _ in 0..300 {
                        if !stall_here.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                let all = held.lock().unwrap().clone();
                let shown: Vec<Json> = all
                    .into_iter()
                    .filter(|r| {
                        query("updated_since")
                            .is_none_or(|s| r["updated_at"].as_str().unwrap() >= s.as_str())
                    })
                    .skip((page - 1) * 2)
                    .take(2)
                    .collect();
                let body = json!({ "results": shown }).to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Crm {
            url,
            records,
            since,
            stall,
            stalled,
        }
    }

    fn change(&self, change: impl FnOnce(&mut Vec<Json>)) {
        change(&mut self.records.lock().unwrap());
    }
}

/// Ada, Bo and Cy, changed at one time: two pages.
fn three_contacts() -> Vec<Json> {
    ["Ada", "Bo", "Cy"]
        .iter()
        .zip(1..)
        .map(|(name, id)| contact(id, name, "2026-01-01T10:00:00Z"))
        .collect()
}

fn contact(id: u64, name: &str, at: &str) -> Json {
    json!({ "id": id, "name": name, "updated_at": at })
}

fn script(crm: &Crm, poll: &str) -> String {
    format!(
        r#"app CRM at "{}" {{
  contact {{ name: text, changed: time as "updated_at" }}
  http contact {{ list GET "/contacts" records at "results" page number as "page" }}
  {poll}
}}

workflow greet {{
  on new contact in CRM
  notify "new {{name}}"
}}

workflow renamed {{
  on updated contact in CRM
  notify "updated {{name}}"
}}

workflow gone {{
  on deleted contact in CRM
  notify "gone"
}}
"#,
        crm.url
    )
}

/// The workflows that ran, in the order of their events.
fn ran(dir: &Path) -> Vec<String> {
    let out = weir(&["runs", "--journal", "weir.db", "--json"], dir, &[]);
    let mut rows: Vec<Json> = text(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .collect();
    rows.sort_by_key(|row| row["event"].as_i64());
    rows.iter()
        .filter_map(|row| row["by"].as_str().map(str::to_string))
        .collect()
}

/// `weir serve crm.weir`, listening, on the journal `weir.db`.
fn listen(dir: &Path) -> Serve {
    let args = [
        "serve",
        "crm.weir",
        "--listen",
        "127.0.0.1:0",
        "--journal",
        "weir.db",
    ];
    Serve::launch(dir, &args, &[])
        .unwrap_or_else(|out| panic!("weir serve did not start: {}", text(&out.stderr)))
}

fn poll_once(dir: &Path) -> String {
    let out = weir(
        &["serve", "crm.weir", "--poll-once", "--journal", "weir.db"],
        dir,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_list_diff_makes_one_event_per_change_across_a_kill() {
    let crm = Crm::start(three_contacts());
    let dir = scratch("poll-diff");
    std::fs::write(dir.join("crm.weir"), script(&crm, "poll contact every 30s")).unwrap();

    let said = poll_once(&dir);
    assert!(said.contains("for the first time"), "{said}");
    assert_eq!(
        ran(&dir),
        Vec::<String>::new(),
        "the first poll is the start"
    );

    // A new record on the second page, one renamed, one gone.
    crm.change(|r| {
        r.retain(|c| c["id"] != 1);
        r[0]["name"] = json!("Bob");
        r.push(contact(4, "Di", "2026-01-01T11:00:00Z"));
    });
    let serve = listen(&dir);
    assert!(
        wait_until(Duration::from_secs(20), || ran(&dir).len() == 3),
        "weir serve ran {:?}",
        ran(&dir)
    );
    // `kill -9`: the server is dropped, which kills it.
    drop(serve);
    let mut runs = ran(&dir);
    runs.sort();
    assert_eq!(runs, ["gone", "greet", "renamed"]);

    // Nothing changed since: nothing runs again.
    let said = poll_once(&dir);
    assert!(said.contains("0 new, 0 updated, 0 deleted"), "{said}");
    assert_eq!(ran(&dir).len(), 3);

    // Renamed back, then again: each change is an event of its own.
    crm.change(|r| r[0]["name"] = json!("Bo"));
    poll_once(&dir);
    crm.change(|r| r[0]["name"] = json!("Bob"));
    poll_once(&dir);
    assert_eq!(ran(&dir)[3..], ["renamed", "renamed"]);
}

#[test]
fn a_cursor_asks_for_the_records_changed_since_the_last_poll() {
    let crm = Crm::start(vec![
        contact(1, "Ada", "2026-01-01T10:00:00Z"),
        contact(2, "Bo", "2026-01-01T10:05:00Z"),
    ]);
    let dir = scratch("poll-cursor");
    let poll = r#"poll contact every 5m since changed as "updated_since""#;
    std::fs::write(dir.join("crm.weir"), script(&crm, poll)).unwrap();
    poll_once(&dir);
    crm.change(|r| {
        r[1]["name"] = json!("Bob");
        r[1]["updated_at"] = json!("2026-01-01T10:09:00Z");
        r.push(contact(3, "Cy", "2026-01-01T10:10:00Z"));
    });
    let said = poll_once(&dir);
    assert!(said.contains("1 new, 1 updated, 0 deleted"), "{said}");
    // Seen again at the cursor's own time, the newest record makes no second event.
    let said = poll_once(&dir);
    assert!(said.contains("0 new, 0 updated, 0 deleted"), "{said}");
    assert_eq!(
        *crm.since.lock().unwrap(),
        [
            None,
            Some("2026-01-01T10:05:00Z".to_string()),
            Some("2026-01-01T10:10:00Z".to_string())
        ]
    );
    let mut runs = ran(&dir);
    runs.sort();
    assert_eq!(runs, ["greet", "renamed"]);
}

#[test]
fn a_kill_between_two_pages_of_a_poll_neither_misses_nor_repeats_a_change() {
    let crm = Crm::start(three_contacts());
    let dir = scratch("poll-kill");
    std::fs::write(dir.join("crm.weir"), script(&crm, "poll contact every 30s")).unwrap();
    poll_once(&dir);

    // A change on each page: one renamed on the first, one new on the second, one gone.
    crm.change(|r| {
        r[0]["name"] = json!("Adele");
        r.retain(|c| c["id"] != 2);
        r.push(contact(4, "Di", "2026-01-01T11:00:00Z"));
    });
    crm.stall.store(true, Ordering::SeqCst);
    let serve = listen(&dir);
    assert!(
        wait_until(Duration::from_secs(20), || crm
            .stalled
            .load(Ordering::SeqCst)),
        "weir serve asked for the second page"
    );
    // `kill -9` while weir waits for the second page: the server is dropped, which kills it.
    drop(serve);
    crm.stall.store(false, Ordering::SeqCst);

    // Started again, the poll is done again in full: each change runs once, whatever of it
    // the cut-off poll had journaled.
    let said = poll_once(&dir);
    assert!(said.contains("1 new, 1 updated, 1 deleted"), "{said}");
    let mut runs = ran(&dir);
    runs.sort();
    assert_eq!(runs, ["gone", "greet", "renamed"]);
    let said = poll_once(&dir);
    assert!(said.contains("0 new, 0 updated, 0 deleted"), "{said}");
    assert_eq!(ran(&dir).len(), 3);
}

/// weir creates an issue in a tracker that has no webhooks; the poll reads it back as a new
/// issue. The echo ledger knows it as weir's own write: the chain goes on, and the run-time
/// guard holds it after two hops, as it does for weir's own route.
#[test]
fn the_echo_of_weirs_write_read_back_by_a_poll_keeps_its_chain() {
    let tracker = rest_app::RestApp::start();
    let dir = scratch("poll-echo");
    let script = format!(
        r#"app Shop {{
  order {{ title: text }}
}}

app Tracker at "{}" {{
  issue {{ title: text }}
  poll issue every 30s
}}

workflow to_tracker {{
  on new order in Shop
  create issue in Tracker {{ title: title }}
}}

workflow to_shop {{
  on new issue in Tracker
  create order in Shop {{ title: title }}
}}
"#,
        tracker.url
    );
    std::fs::write(dir.join("loop.weir"), script).unwrap();
    let flags = ["--journal", "weir.db", "--no-check", "--max-hops", "2"];
    let once = |dir: &Path| {
        let mut args = vec!["serve", "loop.weir", "--poll-once"];
        args.extend_from_slice(&flags);
        let out = weir(&args, dir, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    // The first poll finds the tracker empty: that is the start.
    assert!(once(&dir).contains("for the first time"));
    let mut args = vec!["serve", "loop.weir", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(&flags);
    let serve = Serve::launch(&dir, &args, &[])
        .unwrap_or_else(|out| panic!("weir serve did not start: {}", text(&out.stderr)));
    let (status, answer) = serve.post(
        "/events/Shop/order/new",
        r#"{"title": "Printer jam"}"#,
        &[("X-Weir-Event-Id", "o-1".to_string())],
    );
    assert_eq!(status, 202, "{answer}");
    assert!(wait_until(Duration::from_secs(20), || tracker
        .records("issue")
        .len()
        == 1));
    assert_eq!(serve.settle(1)["done"], 1);
    drop(serve);

    // The next poll reads the issue weir wrote: its echo, with the chain of the write. (Should
    // the poll of `weir serve` at its start have come after the write, it read the echo then.)
    once(&dir);
    let runs = ran(&dir);
    assert_eq!(
        runs.iter().filter(|r| *r == "to_shop").count(),
        1,
        "the echo ran once: {runs:?}"
    );
    let listed = weir(&["runs", "--journal", "weir.db", "--held"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("the run-time guard held a chain after 2 hops"),
        "{listing}"
    );
    assert_eq!(tracker.records("issue").len(), 1, "the chain stopped");
}

#[path = "common/postgres.rs"]
#[expect(dead_code, reason = "each test uses the parts of the cluster it needs")]
mod postgres;

/// A poll's cursor and the records it saw are kept in a PostgreSQL journal as in a SQLite
/// one: the second poll finds the change, the third finds none.
#[test]
fn polls_keep_what_they_saw_in_a_postgres_journal() {
    let cluster = match postgres::Cluster::start("poll") {
        Ok(cluster) => cluster,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    cluster.create_database("journal").expect("a database");
    let url = cluster.url("journal");
    let crm = Crm::start(three_contacts());
    let dir = scratch("poll-postgres");
    std::fs::write(dir.join("crm.weir"), script(&crm, "poll contact every 30s")).unwrap();
    let once = || {
        let args = ["serve", "crm.weir", "--poll-once", "--journal", &url];
        let out = weir(&args, &dir, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let said = once();
    assert!(said.contains("for the first time"), "{said}");
    crm.change(|r| r[1]["name"] = json!("Bob"));
    let said = once();
    assert!(said.contains("0 new, 1 updated, 0 deleted"), "{said}");
    let said = once();
    assert!(said.contains("0 new, 0 updated, 0 deleted"), "{said}");
    let listed = text(&weir(&["runs", "--journal", &url, "--json"], &dir, &[]).stdout);
    let by: Vec<String> = listed
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .filter_map(|row| row["by"].as_str().map(str::to_string))
        .collect();
    assert_eq!(by, ["renamed"], "{listed}");
}
