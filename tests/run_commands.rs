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
