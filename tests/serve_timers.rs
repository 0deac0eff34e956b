//! Record timers and waits under `weir serve`: a simulated clinic's appointments are reminded
//! of a second before they start (`on 1s before start of …`), and a new appointment is
//! reminded again after `wait 4s`; each reminder is a record created in a local REST app, with
//! the clock's reading then. A timer or wait fires once, also across a `kill -9`; a timer is
//! planned again when its record moves and never fires once its record is deleted; `weir runs`
//! lists what is waiting. Times are a few seconds ahead, so that the events that plan a timer
//! have run before it is due even on a busy machine.

#[path = "common/postgres.rs"]
#[allow(dead_code, reason = "each test uses the parts of the cluster it needs")]
mod postgres;
#[expect(
    dead_code,
    reason = "the helpers serve several test files; this one needs a few"
)]
#[path = "real_apps/rest_app.rs"]
mod rest_app;
#[path = "real_apps/serve.rs"]
mod serve;

use std::time::Duration;

use rest_app::RestApp;
use serde_json::{Value as Json, json};
use serve::{Serve, scratch, text, wait_until, weir};

fn clinic(crm: &str) -> String {
    format!(
        r#"engine weir

app Clinic {{
  appointment {{ patient: text, start: time, status: text }}
}}

app Crm at "{crm}" auth bearer env CRM_TOKEN {{
  reminder {{ patient: text, kind: text, sent: time, origin: stamp }}
}}

workflow remind {{
  on 1s before start of appointment in Clinic where status == "booked"
  create reminder in Crm {{ patient: patient, kind: "timer", sent: now() }}
}}

workflow confirm {{
  on new appointment in Clinic where status == "waiting"
  wait 4s
  create reminder in Crm {{ patient: trigger.patient, kind: "wait", sent: now() }}
}}
"#
    )
}

/// Whole seconds now.
fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .expect("a time")
        .to_string()
}

/// The reminders the app was sent: `(patient, kind, at)`.
fn reminders(crm: &RestApp) -> Vec<(String, String, i64)> {
    crm.records("reminder")
        .iter()
        .map(|r| {
            let at = r["sent"].as_str().expect("a time, as text");
            (
                r["patient"].as_str().unwrap_or_default().to_string(),
                r["kind"].as_str().unwrap_or_default().to_string(),
                at.parse::<jiff::Timestamp>()
                    .expect("an RFC 3339 time")
                    .as_second(),
            )
        })
        .collect()
}

/// Waits for the first reminder, then a while longer (for any that should not come), and
/// stops weir: the reminders sent, and what weir said.
fn settled_reminders(serve: Serve, crm: &RestApp) -> (Vec<(String, String, i64)>, String) {
    assert!(
        wait_until(Duration::from_secs(20), || !reminders(crm).is_empty()),
        "a reminder was sent"
    );
    std::thread::sleep(Duration::from_millis(1500));
    let out = serve.terminate();
    (reminders(crm), text(&out.stderr))
}

fn start(dir: &std::path::Path, crm: &RestApp) -> Serve {
    start_on(dir, crm, "weir.db")
}

/// `weir serve` of the clinic on `journal`: a SQLite file or a PostgreSQL URL.
fn start_on(dir: &std::path::Path, crm: &RestApp, journal: &str) -> Serve {
    std::fs::write(dir.join("clinic.weir"), clinic(&crm.url)).unwrap();
    Serve::start_on(dir, "clinic.weir", journal, &[])
}

fn post(serve: &Serve, kind: &str, record: &Json) {
    let (status, reply) = serve.event(&format!("/events/Clinic/appointment/{kind}"), record, None);
    assert_eq!(status, 202, "{reply}");
}

/// `kill -9`, and waits for the process to be gone.
fn kill(mut serve: Serve) {
    serve.child.kill().expect("SIGKILL");
    let _ = serve.child.wait();
}

fn runs(dir: &std::path::Path) -> String {
    runs_on(dir, "weir.db")
}

fn runs_on(dir: &std::path::Path, journal: &str) -> String {
    let out = weir(&["runs", "--journal", journal], dir, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_timer_fires_once_at_its_time_and_again_only_when_its_record_moves() {
    let crm = RestApp::start();
    let dir = scratch("timers-moved");
    let serve = start(&dir, &crm);
    let first = now() + 6;
    post(
        &serve,
        "new",
        &json!({"patient": "ada", "start": rfc3339(first), "status": "booked"}),
    );
    serve.settle(1);
    // Moved before it is due: planned again, at the new time only.
    let moved = first + 2;
    post(
        &serve,
        "updated",
        &json!({"id": "Clinic/appointment/1", "start": rfc3339(moved)}),
    );
    serve.settle(2);
    let listed = runs(&dir);
    assert!(
        listed.contains("timer remind") && listed.contains("Clinic/appointment/1"),
        "{listed}"
    );
    // The same, as JSON: a line of `weir runs --json`, and `waiting` of `GET /runs`.
    let planned = json!({"waiting": "timer", "workflow": "remind",
        "record": "Clinic/appointment/1", "due": rfc3339(moved - 1)});
    let out = weir(&["runs", "--journal", "weir.db", "--json"], &dir, &[]);
    let lines: Vec<Json> = text(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(lines.contains(&planned), "{lines:?}");
    let answer: Json = rest_app::client()
        .get(format!("{}/runs", serve.url))
        .bearer_auth(serve::READ_TOKEN)
        .send()
        .and_then(|r| r.text())
        .ok()
        .and_then(|body| serde_json::from_str(&body).ok())
        .expect("GET /runs answers with JSON");
    assert_eq!(answer["waiting"], json!([planned]), "{answer}");
    // It fires once, at its new time, with the clock reading it.
    let (got, stderr) = settled_reminders(serve, &crm);
    assert_eq!(
        got,
        [("ada".to_string(), "timer".to_string(), moved - 1)],
        "{stderr}"
    );
    assert!(
        !runs(&dir).contains("timer remind"),
        "fired: no longer planned"
    );
}

#[test]
fn a_timer_of_a_deleted_record_or_one_that_stops_matching_never_fires() {
    let crm = RestApp::start();
    let dir = scratch("timers-deleted");
    let serve = start(&dir, &crm);
    let due = now() + 6;
    for patient in ["ada", "bob", "cy"] {
        post(
            &serve,
            "new",
            &json!({"patient": patient, "start": rfc3339(due), "status": "booked"}),
        );
    }
    post(&serve, "deleted", &json!({"id": "Clinic/appointment/1"}));
    post(
        &serve,
        "updated",
        &json!({"id": "Clinic/appointment/2", "status": "cancelled"}),
    );
    serve.settle(5);
    // Cancelled in the journal, not only passed over when due.
    let listed = runs(&dir);
    assert!(listed.contains("Clinic/appointment/3"), "{listed}");
    for gone in ["Clinic/appointment/1", "Clinic/appointment/2"] {
        assert!(!listed.contains(gone), "{listed}");
    }
    let (got, stderr) = settled_reminders(serve, &crm);
    let patients: Vec<String> = got.into_iter().map(|r| r.0).collect();
    assert_eq!(patients, ["cy"], "{stderr}");
}

#[test]
fn a_timer_and_a_wait_due_while_weir_is_killed_fire_once_after_the_restart() {
    timer_and_wait_across_kill("timers-killed", "weir.db");
}

#[test]
fn on_postgres_a_timer_and_a_wait_due_while_weir_is_killed_fire_once_after_the_restart() {
    let Some((_cluster, url)) = postgres::journal_or_skip("timers") else {
        return;
    };
    timer_and_wait_across_kill("timers-killed-pg", &url);
}

/// A timer and a wait planned, `weir serve` killed before they are due and started after:
/// each fires once, and not again after another kill and start.
fn timer_and_wait_across_kill(name: &str, journal: &str) {
    let crm = RestApp::start();
    let dir = scratch(name);
    let serve = start_on(&dir, &crm, journal);
    let due = now() + 6;
    post(
        &serve,
        "new",
        &json!({"patient": "ada", "start": rfc3339(due + 1), "status": "booked"}),
    );
    post(
        &serve,
        "new",
        &json!({"patient": "bob", "start": rfc3339(due + 3600), "status": "waiting"}),
    );
    serve.settle(2);
    // Both are in the journal, and listed with when they fire.
    let listed = runs_on(&dir, journal);
    assert!(listed.contains("timer remind"), "{listed}");
    assert!(
        listed.contains("wait  confirm") || listed.contains("wait confirm"),
        "{listed}"
    );
    kill(serve);
    assert!(
        reminders(&crm).is_empty(),
        "nothing was due before the kill"
    );
    // Down past both times.
    let back = due + 2;
    while now() < back {
        std::thread::sleep(Duration::from_millis(100));
    }
    let serve = start_on(&dir, &crm, journal);
    assert!(
        wait_until(Duration::from_secs(20), || reminders(&crm).len() >= 2),
        "both fired after the restart: {:?}",
        reminders(&crm)
    );
    // Killed again once they fired, and started again: nothing fires twice.
    kill(serve);
    let serve = start_on(&dir, &crm, journal);
    // Events whose writes went out just before the kill finish once a server takes them up
    // again: at once on SQLite, once the killed server's leases ran out on PostgreSQL.
    assert!(
        wait_until(Duration::from_secs(40), || runs_on(&dir, journal)
            .contains("events: 0 queued")),
        "every event finished: {}",
        runs_on(&dir, journal)
    );
    let out = serve.terminate();
    let mut got = reminders(&crm);
    got.sort();
    let kinds: Vec<(&str, &str)> = got.iter().map(|r| (&*r.0, &*r.1)).collect();
    assert_eq!(
        kinds,
        [("ada", "timer"), ("bob", "wait")],
        "{}",
        text(&out.stderr)
    );
    // Each run read the clock at the time it was due, not the time it ran.
    assert_eq!(got[0].2, due);
    let listed = runs_on(&dir, journal);
    assert!(!listed.contains("timer remind"), "{listed}");
    assert!(listed.contains("resume"), "{listed}");
}

#[test]
fn a_wait_goes_on_once_as_the_same_run() {
    let crm = RestApp::start();
    let dir = scratch("waits");
    let serve = start(&dir, &crm);
    let began = now();
    post(
        &serve,
        "new",
        &json!({"patient": "bob", "start": rfc3339(began + 3600), "status": "waiting"}),
    );
    let (got, stderr) = settled_reminders(serve, &crm);
    assert_eq!(got.len(), 1, "{got:?} {stderr}");
    assert!(got[0].2 >= began + 4, "{got:?}");
    // The event that resumed it lists the same run as the event it began on.
    let out = weir(&["runs", "--journal", "weir.db", "--json"], &dir, &[]);
    let lines: Vec<Json> = text(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let of_confirm: Vec<&Json> = lines.iter().filter(|l| l["by"] == "confirm").collect();
    assert_eq!(of_confirm.len(), 2, "{lines:?}");
    assert_eq!(of_confirm[0]["run"], of_confirm[1]["run"], "{lines:?}");
    // Newest first: it went on and ended, after it began to wait.
    assert_eq!(of_confirm[0]["status"], "done", "{lines:?}");
    assert_eq!(of_confirm[1]["status"], "waiting", "{lines:?}");
}

/// A real app's records plan their timers as its webhooks report them.
fn visits(crm: &str) -> String {
    format!(
        r#"engine weir

app Crm at "{crm}" auth bearer env CRM_TOKEN {{
  visit {{ patient: text, start: time }}
  reminder {{ patient: text, kind: text, sent: time, origin: stamp }}
}}

workflow remind {{
  on 1s before start of visit in Crm
  create reminder in Crm {{ patient: patient, kind: "timer", sent: now() }}
}}
"#
    )
}

#[test]
fn a_real_apps_record_is_timed_as_its_webhooks_report_it() {
    let crm = RestApp::start();
    let dir = scratch("timers-real");
    std::fs::write(dir.join("visits.weir"), visits(&crm.url)).unwrap();
    let serve = Serve::start(&dir, "visits.weir", &[]);
    let first = now() + 6;
    let report = |kind: &str, record: Json| {
        let (status, reply) = serve.event(&format!("/events/Crm/visit/{kind}"), &record, None);
        assert_eq!(status, 202, "{reply}");
    };
    report(
        "new",
        json!({"id": "v-1", "patient": "ada", "start": rfc3339(first)}),
    );
    report(
        "new",
        json!({"id": "v-2", "patient": "bob", "start": rfc3339(first)}),
    );
    let moved = first + 2;
    report(
        "updated",
        json!({"id": "v-1", "patient": "ada", "start": rfc3339(moved)}),
    );
    report("deleted", json!({"id": "v-2"}));
    serve.settle(4);
    let (got, stderr) = settled_reminders(serve, &crm);
    assert_eq!(
        got,
        [("ada".to_string(), "timer".to_string(), moved - 1)],
        "{stderr}"
    );
}

/// A chain of three hops, the second of which waits: `book` → `confirm` (waits) → `ring`.
fn chain(crm: &str) -> String {
    format!(
        r#"engine weir

app Clinic {{
  note {{ patient: text }}
  appointment {{ patient: text, status: text }}
  phone {{ patient: text }}
}}

app Crm at "{crm}" auth bearer env CRM_TOKEN {{
  reminder {{ patient: text, kind: text, sent: time, origin: stamp }}
}}

workflow book {{
  on new note in Clinic
  create appointment in Clinic {{ patient: patient, status: "waiting" }}
}}

workflow confirm {{
  on new appointment in Clinic where status == "waiting"
  wait 2s
  create phone in Clinic {{ patient: trigger.patient }}
}}

workflow ring {{
  on new phone in Clinic
  create reminder in Crm {{ patient: patient, kind: "call", sent: now() }}
}}
"#
    )
}

#[test]
fn a_run_that_waited_keeps_its_chain_and_the_guard_counts_its_hops() {
    let crm = RestApp::start();
    let dir = scratch("waits-chain");
    std::fs::write(dir.join("chain.weir"), chain(&crm.url)).unwrap();
    // Two hops at most: `ring` is the third, held only if the wait kept the chain.
    let serve = Serve::start(&dir, "chain.weir", &["--max-hops", "2"]);
    let (status, reply) = serve.event("/events/Clinic/note/new", &json!({"patient": "ada"}), None);
    assert_eq!(status, 202, "{reply}");
    let held = || {
        let out = weir(&["runs", "--journal", "weir.db", "--held"], &dir, &[]);
        text(&out.stdout)
    };
    assert!(
        wait_until(Duration::from_secs(20), || held().contains("ring")),
        "the third hop was held: {}",
        runs(&dir)
    );
    let out = serve.terminate();
    assert!(reminders(&crm).is_empty(), "{}", text(&out.stderr));
}

#[test]
fn a_script_that_gains_a_timer_plans_it_for_the_records_the_journal_holds() {
    let crm = RestApp::start();
    let dir = scratch("timers-gained");
    let script = clinic(&crm.url);
    // Served first without the timer.
    let without = script.replace("on 1s before start of", "on updated");
    std::fs::write(dir.join("clinic.weir"), &without).unwrap();
    let serve = Serve::start(&dir, "clinic.weir", &[]);
    let due = now() + 8;
    post(
        &serve,
        "new",
        &json!({"patient": "ada", "start": rfc3339(due + 1), "status": "booked"}),
    );
    serve.settle(1);
    serve.terminate();
    assert!(!runs(&dir).contains("timer remind"));
    std::fs::write(dir.join("clinic.weir"), &script).unwrap();
    let serve = Serve::start(&dir, "clinic.weir", &[]);
    assert!(runs(&dir).contains("timer remind"), "{}", runs(&dir));
    let (got, stderr) = settled_reminders(serve, &crm);
    assert_eq!(
        got,
        [("ada".to_string(), "timer".to_string(), due)],
        "{stderr}"
    );
}
