//! `weir run` and `weir test` end to end, where one command is not enough: every example's
//! scenarios pass, and `--state FILE` carries the apps from one `weir run` to the next.

use std::path::{Path, PathBuf};

#[path = "common/binary.rs"]
mod binary;

use binary::{scratch, text, weir};

#[test]
fn every_example_passes_its_scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .expect("examples/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "weir"))
        .collect();
    examples.sort();
    assert!(!examples.is_empty());
    for example in examples {
        let name = example.file_name().unwrap().to_string_lossy().to_string();
        let path = format!("examples/{name}");
        // The teaching loop is rejected by `weir check` on purpose.
        let args: Vec<&str> = if name == "loop_demo.weir" {
            vec!["test", "--no-check", &path]
        } else {
            vec!["test", &path]
        };
        let out = weir(&args, root);
        let stdout = text(&out.stdout);
        let last = stdout.lines().last().unwrap_or("");
        assert!(
            out.status.success() && last.ends_with(" passed, 0 failed") && !last.starts_with("0 "),
            "{path}: {}\n{stdout}{}",
            out.status,
            text(&out.stderr)
        );
    }
}

const MIRROR: &str = r#"
engine keragon

app Calendar {
  event { title: text, origin: stamp }
}

app Outlook {
  event { subject: text, origin: stamp }
}

workflow to_outlook {
  on new event in Calendar
  create event in Outlook { subject: title }
}

workflow back {
  on new event in Outlook
  create event in Calendar { title: subject }
}

workflow gone {
  on deleted event in Calendar
  delete event in Outlook linked
}
"#;

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one story over three `weir run`s sharing a state file, each depending on the last"
)]
fn state_carries_records_links_and_held_events_to_the_next_run() {
    let dir = scratch("state");
    std::fs::write(dir.join("mirror.weir"), MIRROR).unwrap();
    std::fs::write(
        dir.join("monday.jsonl"),
        r#"{"kind":"new","app":"Calendar","entity":"event","record":{"title":"Standup"}}"#,
    )
    .unwrap();
    let first = weir(
        &[
            "run",
            "mirror.weir",
            "--no-check",
            "--max-hops",
            "2",
            "--trace",
            "summary",
            "--events",
            "monday.jsonl",
            "--state",
            "apps.json",
        ],
        &dir,
    );
    // The loop is held after two hops, so the run exits with 1, and the state is saved.
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stderr));
    assert_eq!(
        text(&first.stdout),
        "summary: 3 events, 2 runs, 2 actions, 1 held, 0 failed\n"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("apps.json")).unwrap()).unwrap();
    assert_eq!(saved["apps"]["Calendar"]["event"]["next_id"], 3);
    assert_eq!(saved["held"].as_array().unwrap().len(), 1);
    assert_eq!(saved["held"][0]["reason"], "hops");
    assert_eq!(
        saved["held"][0]["story"],
        "a user creates an event in Calendar → to_outlook creates one in Outlook → back creates one in Calendar → to_outlook …"
    );

    // Tuesday: deleting the first event follows its link, saved on Monday; new ids go on.
    std::fs::write(
        dir.join("tuesday.jsonl"),
        concat!(
            r#"{"kind":"deleted","app":"Calendar","entity":"event","record":{"id":"Calendar/event/1"}}"#,
            "\n",
            r#"{"kind":"new","app":"Outlook","entity":"event","record":{"subject":"Lunch"}}"#,
            "\n"
        ),
    )
    .unwrap();
    let second = weir(
        &[
            "run",
            "mirror.weir",
            "--no-check",
            "--max-hops",
            "1",
            "--trace",
            "json",
            "--events",
            "tuesday.jsonl",
            "--state",
            "apps.json",
        ],
        &dir,
    );
    let stdout = text(&second.stdout);
    assert!(
        stdout.contains(r#""action":"delete","record":"Outlook/event/1""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#""record":{"id":"Outlook/event/2","subject":"Lunch""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#""action":"create","record":"Calendar/event/3""#),
        "{stdout}"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("apps.json")).unwrap()).unwrap();
    // Monday's held event is still there, beside Tuesday's.
    assert_eq!(saved["held"].as_array().unwrap().len(), 2);
    let calendar: Vec<&str> = saved["apps"]["Calendar"]["event"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(calendar, ["Calendar/event/2", "Calendar/event/3"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_file_that_does_not_fit_the_script_is_refused() {
    let dir = scratch("bad-state");
    std::fs::write(dir.join("mirror.weir"), MIRROR).unwrap();
    std::fs::write(dir.join("none.jsonl"), "").unwrap();
    std::fs::write(
        dir.join("apps.json"),
        r#"{"weir_state": 1, "apps": {"Calender": {"event": {"records": []}}}}"#,
    )
    .unwrap();
    let out = weir(
        &[
            "run",
            "mirror.weir",
            "--no-check",
            "--events",
            "none.jsonl",
            "--state",
            "apps.json",
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(2));
    // Before it: the loop `--no-check` lets through, in one line.
    assert!(
        text(&out.stderr).ends_with(
            "error: cannot load the state `apps.json`: it has records of app `Calender`, which the script does not use\n"
        ),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A state file holds the simulated apps' records, as a journal does: it is made readable by
/// its owner only, and written whole to a new file that then replaces the old one, so that a
/// `weir run` stopped while it saves leaves the last state as it was.
#[cfg(unix)]
#[test]
fn a_state_file_is_private_and_replaced_whole() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("private-state");
    std::fs::write(dir.join("mirror.weir"), MIRROR).unwrap();
    std::fs::write(dir.join("none.jsonl"), "").unwrap();
    let args = [
        "run",
        "mirror.weir",
        "--no-check",
        "--events",
        "none.jsonl",
        "--state",
        "apps.json",
    ];
    let out = weir(&args, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mode = |name: &str| {
        std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("apps.json"), 0o600);
    // A file the operator opened up stays as they set it; nothing is left beside it.
    std::fs::set_permissions(
        dir.join("apps.json"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let out = weir(&args, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(mode("apps.json"), 0o640);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["apps.json", "mirror.weir", "none.jsonl"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_run_time_explain_pages_show_what_they_say() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = scratch("pages");
    for code in ["R0301", "R0302"] {
        let page = std::fs::read_to_string(root.join(format!("docs/errors/{code}.md"))).unwrap();
        let blocks: Vec<&str> = page
            .split("```weir\n")
            .skip(1)
            .map(|rest| rest.split("```").next().unwrap())
            .collect();
        assert_eq!(blocks.len(), 2, "{code} has a wrong and a fixed example");
        for (i, block) in blocks.iter().enumerate() {
            let file = format!("{code}_{i}.weir");
            std::fs::write(dir.join(&file), block).unwrap();
            let out = weir(&["test", "--no-check", &file], &dir);
            let stdout = text(&out.stdout);
            assert!(
                out.status.success() && stdout.ends_with("1 passed, 0 failed\n"),
                "{code} example {i}:\n{stdout}{}",
                text(&out.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

const CLINIC: &str = r##"
app Clinic {
  appointment { patient: text, start: time }
}

app Sms {
  reply { from: text }
}

workflow remind {
  on 24h before start of appointment in Clinic
  notify "#desk" "tomorrow: {patient}"
  wait 12h
  let answered = exists reply in Sms where from == trigger.patient
  unless answered
  notify "#desk" "call {patient}"
}
"##;

/// `weir run SCRIPT --events EVENTS --state s.json --now NOW` in `dir`, which must succeed: what
/// it prints.
fn run_with_state(dir: &Path, script: &str, events: &str, now: &str) -> String {
    let args = [
        "run", script, "--events", events, "--state", "s.json", "--now", now,
    ];
    let out = weir(&args, dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// The state file keeps the clock, the runs waiting for it and the timers that fired: each
/// `weir run --now` moves the clock from the last run's time, firing once what came due.
#[test]
fn state_carries_the_clock_its_waiting_runs_and_fired_timers_to_the_next_run() {
    let dir = scratch("state-clock");
    std::fs::write(dir.join("clinic.weir"), CLINIC).unwrap();
    std::fs::write(dir.join("none.jsonl"), "").unwrap();
    std::fs::write(
        dir.join("monday.jsonl"),
        r#"{"kind":"new","app":"Clinic","entity":"appointment","record":{"patient":"ann","start":"2030-05-03T10:00:00Z"}}"#,
    )
    .unwrap();
    let run = |events: &str, now: &str| run_with_state(&dir, "clinic.weir", events, now);
    let first = run("monday.jsonl", "2030-05-01T08:00:00Z");
    assert!(!first.contains("notify"), "{first}");
    // The timer's time, 2030-05-02T10:00, comes in the second move; the run waits after it.
    let second = run("none.jsonl", "2030-05-02T12:00:00Z");
    assert!(
        second.contains("notify #desk \"tomorrow: ann\""),
        "{second}"
    );
    assert!(second.contains("until 2030-05-02T22:00:00Z"), "{second}");
    let state = std::fs::read_to_string(dir.join("s.json")).unwrap();
    assert!(
        state.contains("\"clock\": \"2030-05-02T12:00:00Z\""),
        "{state}"
    );
    // Not again at the same time; the wait is not over yet.
    let third = run("none.jsonl", "2030-05-02T12:00:00Z");
    assert!(!third.contains("notify"), "{third}");
    let fourth = run("none.jsonl", "2030-05-03T12:00:00Z");
    assert!(
        fourth.contains("run 1 remind goes on after `wait 12h`"),
        "{fourth}"
    );
    assert!(fourth.contains("notify #desk \"call ann\""), "{fourth}");
    assert!(!fourth.contains("tomorrow"), "{fourth}");
    let fifth = run("none.jsonl", "2030-05-09T12:00:00Z");
    assert!(!fifth.contains("notify"), "{fifth}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without a state file nothing keeps a waiting run: the note says so, and how to keep it.
#[test]
fn a_run_left_waiting_without_a_state_file_is_told() {
    let dir = scratch("wait-no-state");
    std::fs::write(
        dir.join("clinic.weir"),
        CLINIC.replace("on 24h before start of", "on new"),
    )
    .unwrap();
    std::fs::write(
        dir.join("one.jsonl"),
        r#"{"kind":"new","app":"Clinic","entity":"appointment","record":{"patient":"ann","start":"2030-05-03T10:00:00Z"}}"#,
    )
    .unwrap();
    let out = weir(&["run", "clinic.weir", "--events", "one.jsonl"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "note: 1 run waits for the clock (`wait`), which `weir run` moves only from a `--state FILE` to a later `--now`; without a state file it ends here"
        ),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `weir serve` moves the clock for timers, waits and schedules: it warns of none of them.
#[test]
fn serve_warns_of_no_timer_wait_or_schedule() {
    let dir = scratch("serve-clock");
    let script = format!("{CLINIC}\non every day at 08:00 do notify \"#desk\" \"morning\"\n");
    std::fs::write(dir.join("clinic.weir"), script).unwrap();
    // A port that cannot be listened on (no lookup: the address is numeric) ends the start.
    let args = [
        "serve",
        "clinic.weir",
        "--listen",
        "127.0.0.1:99999",
        "--journal",
        "j.db",
    ];
    let out = weir(&args, &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    for old in ["does not move the clock", "does not run", "stop at their"] {
        assert!(!stderr.contains(old), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The records `every` found are kept with a run that waits, and read after the wait.
#[test]
fn a_list_of_records_found_by_every_is_kept_across_a_wait() {
    let dir = scratch("state-every");
    std::fs::write(
        dir.join("desk.weir"),
        r##"app Desk {
  ticket { title: text, owner: text }
}

app Ops {
  request { who: text }
}

workflow later {
  on new request in Ops
  let theirs = every ticket in Desk where owner == trigger.who ordered by title desc
  wait 1h
  notify "#x" "{len(theirs)}: {[t.title for t in theirs]} ({theirs[0] != none})"
}
"##,
    )
    .unwrap();
    let line = |app: &str, entity: &str, record: &str| {
        format!(r#"{{"kind":"new","app":"{app}","entity":"{entity}","record":{record}}}"#)
    };
    let events = [
        line("Desk", "ticket", r#"{"title":"a","owner":"bo"}"#),
        line("Desk", "ticket", r#"{"title":"c","owner":"bo"}"#),
        line("Desk", "ticket", r#"{"title":"z","owner":"cy"}"#),
        line("Ops", "request", r#"{"who":"bo"}"#),
    ];
    std::fs::write(dir.join("events.jsonl"), events.join("\n")).unwrap();
    std::fs::write(dir.join("none.jsonl"), "").unwrap();
    let run = |events: &str, now: &str| run_with_state(&dir, "desk.weir", events, now);
    let first = run("events.jsonl", "2030-05-01T08:00:00Z");
    assert!(first.contains("waits at `wait 1h`"), "{first}");
    let second = run("none.jsonl", "2030-05-01T10:00:00Z");
    assert!(
        second.contains(r#"notify #x "2: [\"c\", \"a\"] (true)""#),
        "{second}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
