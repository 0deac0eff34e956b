//! Schedules under `weir serve`: a workflow `on every 1s` writes to a local app, each time with
//! the clock reading its due time; `kill -9` and a restart neither fire a time twice nor fire
//! every time missed while weir was down (they fire once, at the latest).

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

use std::collections::BTreeSet;
use std::time::Duration;

use rest_app::RestApp;
use serve::{Serve, scratch, text, wait_until, weir};

fn heartbeat(crm: &str) -> String {
    format!(
        r#"engine weir

app Crm at "{crm}" auth bearer env CRM_TOKEN {{
  beat {{ due: time, origin: stamp }}
}}

workflow heartbeat {{
  on every 1s
  create beat in Crm {{ due: now() }}
}}
"#
    )
}

/// The due times the app was written, in seconds, each as often as it was written.
fn dues(crm: &RestApp) -> Vec<i64> {
    crm.records("beat")
        .iter()
        .map(|r| {
            let due = r["due"].as_str().expect("a time, as text");
            due.parse::<jiff::Timestamp>()
                .expect("an RFC 3339 time")
                .as_second()
        })
        .collect()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[test]
fn a_schedule_runs_under_serve_once_per_time_across_a_kill() {
    let crm = RestApp::start();
    let dir = scratch("schedules");
    std::fs::write(dir.join("beat.weir"), heartbeat(&crm.url)).unwrap();
    let mut serve = Serve::start(&dir, "beat.weir", &[]);
    assert!(
        wait_until(Duration::from_secs(8), || dues(&crm).len() >= 3),
        "the schedule fired under serve: {:?}",
        dues(&crm)
    );
    // `kill -9`.
    serve.child.kill().expect("SIGKILL");
    let _ = serve.child.wait();
    let before = dues(&crm);
    let last = *before.iter().max().unwrap();
    // Each run saw the clock at its due time: whole seconds, one apart.
    let mut sorted = before.clone();
    sorted.sort_unstable();
    assert!(sorted.windows(2).all(|w| w[1] - w[0] == 1), "{sorted:?}");
    // Down for at least five times of the schedule.
    std::thread::sleep(Duration::from_millis(5200));
    let restarted = now();
    let serve = Serve::start(&dir, "beat.weir", &[]);
    assert!(
        wait_until(Duration::from_secs(8), || dues(&crm)
            .iter()
            .any(|d| *d > restarted)),
        "the schedule fired again after the restart: {:?}",
        dues(&crm)
    );
    let out = serve.terminate();
    let all = dues(&crm);
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a time fired twice: {all:?}");
    // The times missed while weir was down fire once, at the latest: after the last time
    // written before the kill (and at most a time or two journaled then and sent after the
    // restart) some times are skipped, where firing every time missed would leave none. Not
    // measured against the test's own clock, which a slow start could cross.
    let max = *distinct.iter().max().unwrap();
    let after = distinct.iter().filter(|d| **d > last).count() as i64;
    assert!(
        after < max - last,
        "every time missed fired: {all:?} (last before the kill {last}, restart {restarted})"
    );
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("runs on a schedule"), "{stderr}");
    // The journal lists the ticks' runs, each of the workflow.
    let listed = weir(&["runs", "--journal", "weir.db", "--json"], &dir, &[]);
    let listed = text(&listed.stdout);
    assert!(listed.contains("heartbeat"), "{listed}");
}

/// `weir serve --poll-once` (for cron) fires the schedules due, runs them, and stops: the first
/// keeps the schedule's start, a later one fires the time since, once.
#[test]
fn poll_once_fires_the_schedules_due_and_stops() {
    let crm = RestApp::start();
    let dir = scratch("schedules-once");
    std::fs::write(dir.join("beat.weir"), heartbeat(&crm.url)).unwrap();
    let once = || {
        let out = weir(
            &["serve", "beat.weir", "--poll-once", "--journal", "weir.db"],
            &dir,
            &[("CRM_TOKEN", "tk")],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let said = once();
    assert!(
        said.contains("the schedule of `heartbeat` starts now"),
        "{said}"
    );
    assert!(dues(&crm).is_empty(), "{:?}", dues(&crm));
    let started = now();
    assert!(wait_until(Duration::from_secs(5), || now() > started));
    let said = once();
    assert!(
        said.contains("fired the schedule of `heartbeat` due"),
        "{said}"
    );
    let fired = dues(&crm);
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(fired[0] >= started, "{fired:?} {started}");
}
