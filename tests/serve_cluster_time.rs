//! What runs on time, with two `weir serve` on one PostgreSQL journal (a throwaway cluster per
//! test): each server's clock adds the events of timers, waits and schedules, under keys, so
//! that each fires once across both; a timer moved by an event another server took fires at
//! its new time only. One server polls the apps at a time, and another takes over when it is
//! killed. Times are a few seconds ahead; where PostgreSQL is not installed, each test says it
//! is skipped.

#[path = "common/postgres.rs"]
#[expect(dead_code, reason = "each test uses the parts of the cluster it needs")]
mod postgres;
#[path = "real_apps/rest_app.rs"]
#[expect(
    dead_code,
    reason = "the real-app tests use the rest: hooks, faults, reads"
)]
mod rest_app;
#[path = "real_apps/serve.rs"]
#[expect(
    dead_code,
    reason = "the real-app tests use the rest: their own starts"
)]
mod serve;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rest_app::RestApp;
use serde_json::{Value as Json, json};
use serve::{Serve, scratch, text, wait_until, weir};

/// A clinic's visits, as a real app's webhooks report them: a visit `timed` is reminded of a
/// second before it starts, one `waiting` after `wait 2s`, and a beat is written every second.
/// Each reminder is a record in the same app, with the clock's reading then.
fn clinic(crm: &str) -> String {
    format!(
        r#"engine weir

app Crm at "{crm}" auth bearer env CRM_TOKEN {{
  visit {{ patient: text, start: time, kind: text }}
  reminder {{ patient: text, kind: text, sent: time, origin: stamp }}
}}

workflow remind {{
  on 1s before start of visit in Crm where kind == "timed"
  create reminder in Crm {{ patient: patient, kind: "timer", sent: now() }}
}}

workflow confirm {{
  on new visit in Crm where kind == "waiting"
  wait 2s
  create reminder in Crm {{ patient: trigger.patient, kind: "wait", sent: now() }}
}}

workflow beat {{
  on every 1s
  create reminder in Crm {{ patient: "-", kind: "beat", sent: now() }}
}}
"#
    )
}

fn serve_on(dir: &Path, script: &str, url: &str) -> Serve {
    Serve::start_on(dir, script, url, &[])
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

fn report(serve: &Serve, kind: &str, visit: &Json) {
    let (status, reply) = serve.event(&format!("/events/Crm/visit/{kind}"), visit, None);
    assert_eq!(status, 202, "{reply}");
}

/// The reminders the app holds: `(patient, kind, at)`.
fn reminders(crm: &RestApp) -> Vec<(String, String, i64)> {
    crm.records("reminder")
        .iter()
        .map(|r| {
            let at = r["sent"].as_str().unwrap_or_default();
            (
                r["patient"].as_str().unwrap_or_default().to_string(),
                r["kind"].as_str().unwrap_or_default().to_string(),
                at.parse::<jiff::Timestamp>().map_or(0, |t| t.as_second()),
            )
        })
        .collect()
}

/// How many runs of each workflow the journal lists.
fn runs_by_workflow(dir: &Path, url: &str) -> HashMap<String, usize> {
    let out = weir(
        &["runs", "--journal", url, "--json", "--limit", "10000"],
        dir,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut counts = HashMap::new();
    for line in text(&out.stdout).lines() {
        if let Ok(row) = serde_json::from_str::<Json>(line)
            && let Some(by) = row["by"].as_str()
        {
            *counts.entry(by.to_string()).or_default() += 1;
        }
    }
    counts
}

#[test]
fn on_two_servers_timers_waits_and_schedules_fire_once_and_a_moved_timer_at_its_new_time() {
    let Some((_cluster, url)) = postgres::journal_or_skip("cluster-time") else {
        return;
    };
    let crm = RestApp::start();
    let dir = scratch("pg-cluster-time");
    std::fs::write(dir.join("clinic.weir"), clinic(&crm.url)).unwrap();
    let a = serve_on(&dir, "clinic.weir", &url);
    let b = serve_on(&dir, "clinic.weir", &url);
    let start = now() + 6;
    report(
        &a,
        "new",
        &json!({"id": "v-1", "patient": "ada", "start": rfc3339(start), "kind": "timed"}),
    );
    report(
        &a,
        "new",
        &json!({"id": "v-2", "patient": "bo", "start": rfc3339(start), "kind": "timed"}),
    );
    // Moved by an event the other server is sent, before it is due.
    let moved = start + 3;
    report(
        &b,
        "updated",
        &json!({"id": "v-2", "patient": "bo", "start": rfc3339(moved), "kind": "timed"}),
    );
    report(
        &b,
        "new",
        &json!({"id": "v-3", "patient": "cy", "start": rfc3339(start + 3600), "kind": "waiting"}),
    );
    let fired = |patient: &str, kind: &str| {
        reminders(&crm)
            .iter()
            .any(|r| r.0 == patient && r.1 == kind)
    };
    assert!(
        wait_until(Duration::from_secs(30), || fired("ada", "timer")
            && fired("bo", "timer")
            && fired("cy", "wait")),
        "the timers and the wait fired: {:?}",
        reminders(&crm)
    );
    // A while past the last time, for anything that should not come.
    let past = moved + 2;
    wait_until(Duration::from_secs(30), || now() >= past);
    let (out_a, out_b) = (a.terminate(), b.terminate());
    let said = format!("{}\n{}", text(&out_a.stderr), text(&out_b.stderr));
    let got = reminders(&crm);
    let of = |kind: &str| -> Vec<(&str, i64)> {
        let mut found: Vec<(&str, i64)> = got
            .iter()
            .filter(|r| r.1 == kind)
            .map(|r| (r.0.as_str(), r.2))
            .collect();
        found.sort_unstable();
        found
    };
    // Once each, the moved one at its new time only, each with the clock reading its time.
    assert_eq!(
        of("timer"),
        [("ada", start - 1), ("bo", moved - 1)],
        "{said}"
    );
    assert_eq!(of("wait").len(), 1, "{said}");
    let beats: Vec<i64> = of("beat").iter().map(|b| b.1).collect();
    let mut times = beats.clone();
    times.dedup();
    assert_eq!(times, beats, "each time of the schedule ran once");
    assert!(
        beats.len() >= 3,
        "the schedule ran while both served: {beats:?}"
    );
    // One write each, and one run each.
    assert_eq!(crm.applied().len(), got.len(), "no write made twice");
    let runs = runs_by_workflow(&dir, &url);
    assert_eq!(runs.get("remind"), Some(&2), "{runs:?}");
    // The wait's run is listed as it began to wait and as it went on.
    assert_eq!(runs.get("confirm"), Some(&2), "{runs:?}");
}

/// A tracker with no webhooks, polled; each new issue is noted in the same app.
fn tracker(app: &str) -> String {
    format!(
        r#"app Tracker at "{app}" {{
  issue {{ title: text }}
  note {{ title: text }}
  poll issue every 30s
}}

workflow heard {{
  on new issue in Tracker
  create note in Tracker {{ title: title }}
}}
"#
    )
}

/// The lists of issues the app was asked for.
fn lists_asked(app: &RestApp) -> usize {
    app.seen()
        .iter()
        .filter(|s| s.method == "GET" && s.path.starts_with("/issue"))
        .count()
}

#[test]
fn on_two_servers_one_polls_and_the_other_takes_over_when_it_is_killed() {
    let Some((_cluster, url)) = postgres::journal_or_skip("cluster-polls") else {
        return;
    };
    let app = RestApp::start();
    let dir = scratch("pg-cluster-polls");
    std::fs::write(dir.join("tracker.weir"), tracker(&app.url)).unwrap();
    let servers = [
        serve_on(&dir, "tracker.weir", &url),
        serve_on(&dir, "tracker.weir", &url),
    ];
    let turns = |s: &Serve| {
        let said = s.said();
        (
            said.contains("this server ("),
            said.contains("another server polls"),
        )
    };
    assert!(
        wait_until(Duration::from_secs(20), || {
            let (first, second) = (turns(&servers[0]), turns(&servers[1]));
            (first.0 || first.1) && (second.0 || second.1)
        }),
        "both said whether they poll: {:?}",
        servers.iter().map(Serve::said).collect::<Vec<_>>()
    );
    let polling: Vec<usize> = (0..2).filter(|i| turns(&servers[*i]).0).collect();
    assert_eq!(
        polling.len(),
        1,
        "one polls: {:?}",
        servers.iter().map(Serve::said).collect::<Vec<_>>()
    );
    let (poller, other) = (polling[0], 1 - polling[0]);
    assert!(turns(&servers[other]).1);
    assert!(
        wait_until(Duration::from_secs(20), || servers[poller]
            .said()
            .contains("polled Tracker/issue for the first time")),
        "{}",
        servers[poller].said()
    );
    assert!(
        !servers[other].said().contains("polled"),
        "{}",
        servers[other].said()
    );
    assert_eq!(lists_asked(&app), 1, "the list was asked for by one server");
    // An issue made while the one that polls is killed: the other polls at once, and finds it.
    app.user_creates("issue", json!({"title": "printer jam"}));
    let [first, second] = servers;
    let (mut killed, taker) = if poller == 0 {
        (first, second)
    } else {
        (second, first)
    };
    killed.child.kill().expect("SIGKILL");
    let _ = killed.child.wait();
    assert!(
        wait_until(Duration::from_secs(20), || app.records("note").len() == 1),
        "the other took over: {}",
        taker.said()
    );
    let said = taker.said();
    assert!(said.contains("this server ("), "{said}");
    assert!(
        said.contains("polled Tracker/issue: 1 new, 0 updated, 0 deleted"),
        "{said}"
    );
    assert_eq!(
        lists_asked(&app),
        2,
        "asked once more, by the one that took over"
    );
    let out = taker.terminate();
    assert_eq!(app.records("note").len(), 1, "{}", text(&out.stderr));
}
