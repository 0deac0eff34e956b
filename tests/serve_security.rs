//! `weir serve` under attack and after damage, over loopback: signed requests that are replayed,
//! re-routed or re-attributed; event ids from two routes; read routes without the token;
//! record values in kept messages; journals reset, cut short or corrupted; file permissions.

#[path = "real_apps/rest_app.rs"]
#[allow(
    dead_code,
    reason = "shared with tests/real_apps.rs, which uses the rest"
)]
mod rest_app;
#[path = "real_apps/serve.rs"]
#[allow(
    dead_code,
    reason = "shared with tests/real_apps.rs, which uses the rest"
)]
mod serve;

use std::path::Path;
use std::time::Duration;

use rest_app::{client, signed, signed_at};
use serde_json::{Value as Json, json};
use serve::{READ_TOKEN, SECRET, Serve, scratch, text, wait_until, weir};

/// Two simulated apps, and a workflow that fails on an open app's value.
const CLINIC: &str = r#"app Shop { order { customer: text } }
app Desk { note { total: number } }

workflow intake {
  on new patient in Clinic
  create note in Desk { total: ssn + 1 }
}
"#;

fn clinic(name: &str) -> serve::Scratch {
    let dir = scratch(name);
    std::fs::write(dir.join("clinic.weir"), CLINIC).unwrap();
    dir
}

/// `weir serve clinic.weir` on a free port with the journal `weir.db`, and `extra`.
fn launch(dir: &Path, extra: &[&str]) -> Result<Serve, std::process::Output> {
    let mut args = vec![
        "serve",
        "clinic.weir",
        "--listen",
        "127.0.0.1:0",
        "--journal",
        "weir.db",
    ];
    args.extend_from_slice(extra);
    Serve::launch(dir, &args, &[])
}

fn get(serve: &Serve, path: &str, token: Option<&str>) -> (u16, Json) {
    let mut request = client()
        .get(format!("{}{path}", serve.url))
        .timeout(Duration::from_secs(5));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    match request.send() {
        Ok(r) => (
            r.status().as_u16(),
            serde_json::from_slice(&r.bytes().unwrap_or_default()).unwrap_or(Json::Null),
        ),
        Err(_) => (0, Json::Null),
    }
}

fn header(name: &'static str, value: &str) -> (&'static str, String) {
    (name, value.to_string())
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one server, each way a signed request could be reused, tried in turn"
)]
fn a_signed_request_cannot_be_replayed_rerouted_or_reattributed() {
    let dir = clinic("replay");
    let serve = launch(
        &dir,
        &[
            "--secret-env",
            "WEIR_TEST_SECRET",
            "--read-token-env",
            "WEIR_TEST_READ",
            "--signature-tolerance",
            "600",
        ],
    )
    .unwrap();
    let path = "/events/Shop/order/new";
    let body = json!({"customer": "ada"}).to_string();
    let headers = signed(
        SECRET,
        path,
        body.as_bytes(),
        &[header("X-Weir-Event-Id", "o-1")],
    );
    assert_eq!(serve.post(path, &body, &headers).0, 202);
    let again = serve.post(path, &body, &headers);
    assert_eq!((again.0, &again.1["status"]), (200, &json!("duplicate")));

    // The same signature, with what decides the effect changed.
    let with = |name: &'static str, value: &str| {
        let mut changed: Vec<_> = headers
            .iter()
            .filter(|(k, _)| *k != name)
            .cloned()
            .collect();
        if !value.is_empty() {
            changed.push(header(name, value));
        }
        changed
    };
    let tries = [
        ("/events/Shop/order/updated", with("X-Weir-Event-Id", "o-1")),
        (path, with("X-Weir-Event-Id", "o-2")),
        (path, with("X-Weir-Event-Id", "")),
        (path, with("X-Weir-Actor", "weir")),
        (path, with("X-Weir-Changed", "customer")),
    ];
    for (to, headers) in &tries {
        let (status, reply) = serve.post(to, &body, headers);
        assert_eq!(status, 401, "{to} {headers:?}: {reply}");
        assert!(
            reply["error"]
                .as_str()
                .unwrap()
                .contains("does not match the request"),
            "{reply}"
        );
    }
    // Signed long ago, or in the old way (the body alone).
    let now = weir::serve::signing::now();
    let stale = signed_at(SECRET, now - 700, path, body.as_bytes(), &[]);
    let (status, reply) = serve.post(path, &body, &stale);
    assert_eq!(status, 401);
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("seconds old, more than the 600 allowed"),
        "{reply}"
    );
    assert!(
        reply["help"]
            .as_str()
            .unwrap()
            .contains("--signature-tolerance")
    );
    let recent = signed_at(SECRET, now - 400, path, body.as_bytes(), &[]);
    assert_eq!(
        serve.post(path, &body, &recent).0,
        202,
        "within the tolerance"
    );
    // Without an event id, the very same signed request is still taken once.
    assert_eq!(serve.post(path, &body, &recent).1["status"], "duplicate");
    let body_only = vec![header("X-Weir-Signature", "sha256=00")];
    let (status, reply) = serve.post(path, &body, &body_only);
    assert_eq!(status, 401);
    assert!(reply["error"].as_str().unwrap().contains("no longer takes"));
    let health = serve.settle(2);
    assert_eq!(health["done"], 2, "{health}");
}

#[test]
fn event_ids_are_scoped_by_their_route() {
    let dir = clinic("scoped");
    let serve = launch(&dir, &[]).unwrap();
    let id = [header("X-Weir-Event-Id", "42")];
    let order = json!({"customer": "ada"}).to_string();
    let note = json!({"total": 3}).to_string();
    let first = serve.post("/events/Shop/order/new", &order, &id);
    let other = serve.post("/events/Desk/note/new", &note, &id);
    assert_eq!((first.0, other.0), (202, 202), "{first:?} {other:?}");
    assert_ne!(first.1["event"], other.1["event"]);
    let again = serve.post("/events/Desk/note/new", &note, &id);
    assert_eq!((again.0, &again.1["event"]), (200, &other.1["event"]));
}

#[test]
fn read_routes_need_the_read_token() {
    let dir = clinic("reads");
    let guarded = [
        "--secret-env",
        "WEIR_TEST_SECRET",
        "--read-token-env",
        "WEIR_TEST_READ",
    ];
    let serve = launch(&dir, &guarded).unwrap();
    assert_eq!(get(&serve, "/runs", None).0, 401);
    let (status, reply) = get(&serve, "/runs?status=failed", Some("guess"));
    assert_eq!(status, 401);
    assert!(reply["error"].as_str().unwrap().contains("does not match"));
    assert_eq!(get(&serve, "/runs", Some(READ_TOKEN)).0, 200);
    // Anyone may ask whether weir is up; the counts need the token.
    let (status, up) = get(&serve, "/health", None);
    assert_eq!((status, up.clone()), (200, json!({"status": "ok"})));
    assert_eq!(get(&serve, "/health", Some(READ_TOKEN)).1["queued"], 0);
    drop(serve);

    // A secret and no read token: reading runs is off.
    let serve = launch(&dir, &guarded[..2]).unwrap();
    let (status, reply) = get(&serve, "/runs", Some(READ_TOKEN));
    assert_eq!(status, 403);
    assert!(reply["help"].as_str().unwrap().contains("--read-token-env"));
    drop(serve);

    // Neither (loopback development): open.
    let serve = launch(&dir, &[]).unwrap();
    assert_eq!(get(&serve, "/runs", None).0, 200);
}

/// A patient's number must not end up in the journal, `weir runs` or `GET /runs`, unless
/// `--log-values` asks for it; and an event the app refused before any run is listed.
#[test]
fn kept_messages_leave_out_record_values_and_every_failed_event_is_listed() {
    let dir = clinic("values");
    let patient = json!({"name": "Ada", "ssn": "123-45-6789"}).to_string();
    let missing = json!({"id": 99, "name": "Bo"}).to_string();
    for (log_values, shown) in [(false, false), (true, true)] {
        let _ = std::fs::remove_file(dir.join("weir.db"));
        for end in ["-wal", "-shm", ".id"] {
            let _ = std::fs::remove_file(dir.join(format!("weir.db{end}")));
        }
        let mut extra = vec!["--read-token-env", "WEIR_TEST_READ"];
        if log_values {
            extra.push("--log-values");
        }
        let serve = launch(&dir, &extra).unwrap();
        assert_eq!(
            serve.post("/events/Clinic/patient/new", &patient, &[]).0,
            202
        );
        assert_eq!(
            serve
                .post("/events/Clinic/patient/updated", &missing, &[])
                .0,
            202
        );
        assert!(wait_until(Duration::from_secs(20), || {
            get(&serve, "/health", Some(READ_TOKEN)).1["failed"] == 2
        }));
        let (_, listed) = get(&serve, "/runs?status=failed", Some(READ_TOKEN));
        let runs = listed["runs"].as_array().unwrap().clone();
        assert_eq!(runs.len(), 2, "{listed}");
        let said = listed.to_string();
        assert!(
            said.contains("there is no record Clinic/patient/99 to update"),
            "{said}"
        );
        assert!(said.contains("`+` cannot combine"), "{said}");
        let cli = weir(&["runs", "--journal", "weir.db", "--failed"], &dir, &[]);
        let cli = text(&cli.stdout);
        assert!(cli.contains("Clinic/patient/99"), "{cli}");
        let journal = rusqlite::Connection::open(dir.join("weir.db")).unwrap();
        let kept: String = journal
            .query_row(
                "SELECT group_concat(COALESCE(message, '') || COALESCE(runs, '')) FROM events",
                [],
                |r| r.get(0),
            )
            .unwrap();
        drop(journal);
        drop(serve);
        for place in [&said, &cli, &kept] {
            assert_eq!(place.contains("123-45-6789"), shown, "{place}");
        }
        if !shown {
            assert!(said.contains("a text with a number"), "{said}");
        }
    }
}

/// Starts a server, takes three events, and stops it (cleanly, or with `kill -9`).
fn three_events(dir: &Path, kill: bool) {
    let mut serve = launch(dir, &["--read-token-env", "WEIR_TEST_READ"]).unwrap();
    for customer in ["ada", "bo", "cy"] {
        let body = json!({ "customer": customer }).to_string();
        assert_eq!(serve.post("/events/Shop/order/new", &body, &[]).0, 202);
    }
    if kill {
        serve.child.kill().expect("SIGKILL");
        let _ = serve.child.wait();
    } else {
        serve.settle(3);
        assert!(serve.terminate().status.success());
    }
}

fn refused(dir: &Path) -> String {
    let out = match launch(dir, &[]) {
        Ok(serve) => {
            drop(serve);
            panic!("weir serve started on a damaged journal");
        }
        Err(out) => out,
    };
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(said.contains("--accept-damaged-journal"), "{said}");
    said
}

#[test]
fn a_journal_reset_to_nothing_is_refused_until_accepted() {
    let dir = clinic("reset");
    three_events(&dir, false);
    std::fs::write(dir.join("weir.db"), b"").unwrap();
    let said = refused(&dir);
    assert!(
        said.contains("was reset or cut short: it holds no events, but 3 were accepted into it"),
        "{said}"
    );
    let serve = launch(&dir, &["--accept-damaged-journal"]).expect("served when accepted");
    drop(serve);
    // The marker now counts what the journal holds: the next start is clean.
    let serve = launch(&dir, &[]).expect("a clean start after");
    drop(serve);
}

#[test]
fn a_lost_wal_after_kill_9_is_refused() {
    let dir = clinic("wal");
    three_events(&dir, true);
    let wal = dir.join("weir.db-wal");
    assert!(wal.exists(), "the events were still in the WAL");
    std::fs::remove_file(wal).unwrap();
    let said = refused(&dir);
    assert!(said.contains("accepted"), "{said}");
}

#[test]
fn a_journal_with_damaged_pages_is_refused() {
    let dir = clinic("corrupt");
    three_events(&dir, false);
    let path = dir.join("weir.db");
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192);
    for b in &mut bytes[4096..8192] {
        *b = 0xA5;
    }
    std::fs::write(&path, bytes).unwrap();
    let said = refused(&dir);
    assert!(said.contains("the journal `weir.db` is damaged"), "{said}");
}

/// SQLite's check reports damage inside a table as one text of several lines under a heading;
/// weir counts the lines and quotes the first problem, not the heading.
#[test]
fn damage_inside_a_table_is_counted_and_quoted_by_line() {
    let dir = clinic("cells");
    three_events(&dir, false);
    let path = dir.join("weir.db");
    let (root, size): (i64, i64) = {
        let journal = rusqlite::Connection::open(&path).unwrap();
        let root = journal
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'events'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let size = journal
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        (root, size)
    };
    let mut bytes = std::fs::read(&path).unwrap();
    let page = ((root - 1) * size) as usize;
    // A leaf page whose cells are said to start past its end.
    bytes[page..page + 7].copy_from_slice(&[0x0d, 0, 0, 0, 3, 0x0f, 0xff]);
    std::fs::write(&path, bytes).unwrap();
    let said = refused(&dir);
    assert!(said.contains("the journal `weir.db` is damaged"), "{said}");
    assert!(!said.contains("***"), "{said}");
    assert!(!said.contains("finds 1 problem,"), "{said}");
}

#[cfg(unix)]
#[test]
fn the_journal_and_its_marker_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = clinic("private");
    let serve = launch(&dir, &[]).unwrap();
    let body = json!({"customer": "ada"}).to_string();
    assert_eq!(serve.post("/events/Shop/order/new", &body, &[]).0, 202);
    for name in ["weir.db", "weir.db-wal", "weir.db-shm", "weir.db.id"] {
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
}

/// A journal from before ids were scoped by route holds bare ids: they are scoped when it is
/// opened, so an event sent again after the upgrade is still a duplicate.
#[test]
fn ids_kept_before_scoping_are_scoped_once() {
    use weir::serve::journal::{Accepted, Journal, NewEvent, event_key};
    let dir = scratch("oldkeys");
    let path = dir.join("weir.db");
    let event = |key: Option<String>| NewEvent {
        key,
        app: "Shop".into(),
        entity: "order".into(),
        kind: "new".into(),
        record: "{}".into(),
        actor: None,
        changed: None,
    };
    let mut journal = Journal::open(&path, true).unwrap();
    assert_eq!(
        journal.accept(&[event(None)]).unwrap(),
        vec![Accepted::New(1)]
    );
    drop(journal);
    let old = rusqlite::Connection::open(&path).unwrap();
    old.execute_batch("UPDATE events SET key = '42'; DELETE FROM meta WHERE key = 'keys';")
        .unwrap();
    drop(old);
    let mut journal = Journal::open(&path, true).unwrap();
    let key = event_key("Shop", "order", "new", Some("42"), None);
    assert_eq!(
        journal.accept(&[event(key)]).unwrap(),
        vec![Accepted::Duplicate(1)]
    );
}

/// A variable that is set but empty (as `export WEIR_SECRET=$(cat missing-file)` leaves it) is
/// named as empty, not as unset, so that the operator looks at what filled it.
#[test]
fn an_empty_secret_is_named_empty() {
    let dir = clinic("empty-secret");
    let out = match Serve::launch(
        &dir,
        &[
            "serve",
            "clinic.weir",
            "--listen",
            "127.0.0.1:0",
            "--secret-env",
            "WEIR_TEST_SECRET",
        ],
        &[("WEIR_TEST_SECRET", "")],
    ) {
        Ok(serve) => {
            drop(serve);
            panic!("weir serve started with an empty secret");
        }
        Err(out) => out,
    };
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "error: `--secret-env WEIR_TEST_SECRET` names the variable `WEIR_TEST_SECRET`, which is empty; set it to the webhook secret"
        ),
        "{}",
        text(&out.stderr)
    );
}

/// A journal made before journals were private (or opened up by hand) keeps its mode: weir
/// does not change it, but says so at start, with the command that closes it.
#[cfg(unix)]
#[test]
fn a_journal_others_can_read_is_named_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = clinic("open-journal");
    // Only the journal it makes counts here, not how it stops.
    let _ = launch(&dir, &[]).unwrap().terminate();
    let path = dir.join("weir.db");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let serve = launch(&dir, &[]).unwrap();
    let said = text(&serve.terminate().stderr);
    assert!(
        said.contains(
            "warning: the journal `weir.db` can be read by other users of this machine (mode 644), and it holds records\nhelp: make it private with `chmod 600 weir.db`"
        ),
        "{said}"
    );
    // A private journal gets no such word.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let serve = launch(&dir, &[]).unwrap();
    let said = text(&serve.terminate().stderr);
    assert!(!said.contains("can be read by other users"), "{said}");
}

#[test]
fn a_second_server_on_one_journal_is_refused() {
    let dir = clinic("second");
    let first = launch(&dir, &[]).expect("the first server starts");
    let out = match launch(&dir, &[]) {
        Ok(second) => {
            drop(second);
            drop(first);
            panic!("a second weir serve started on the same journal");
        }
        Err(out) => out,
    };
    drop(first);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(
        said.contains("weir.db.lock`: another `weir serve` is running on this journal"),
        "{said}"
    );
}
