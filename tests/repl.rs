//! REPL transcripts: every `tests/repl/*.session` file and every ```session block of
//! docs/tutorial.md is typed into a fresh session, and what weir answers must be what the
//! transcript shows. `BLESS=1 cargo test --test repl` rewrites the answers.

use std::path::Path;

use weir::repl::transcript;

fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .header("expected", "actual")
        .to_string()
}

#[test]
fn session_files_replay_as_recorded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repl");
    let mut failures = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/repl exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "session") {
            continue;
        }
        seen += 1;
        let recorded = std::fs::read_to_string(&path).unwrap();
        let actual = transcript::run(&recorded);
        if actual != recorded {
            if std::env::var_os("BLESS").is_some() {
                std::fs::write(&path, &actual).unwrap();
            } else {
                failures.push(format!("{}:\n{}", path.display(), diff(&recorded, &actual)));
            }
        }
    }
    assert!(seen > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_tutorial_sessions_replay_as_shown() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/tutorial.md");
    let page = std::fs::read_to_string(&path).expect("docs/tutorial.md exists");
    let mut rewritten = String::new();
    let mut failures = Vec::new();
    let mut rest = page.as_str();
    let mut blocks = 0;
    while let Some(open) = rest.find("```session\n") {
        let body_start = open + "```session\n".len();
        let close = body_start
            + rest[body_start..]
                .find("```")
                .expect("a session block is closed");
        let recorded = &rest[body_start..close];
        // The working directory of the tutorial is the repository, as for a reader.
        let actual = in_repository(|| transcript::run(recorded));
        if actual != recorded {
            failures.push(diff(recorded, &actual));
        }
        rewritten.push_str(&rest[..body_start]);
        rewritten.push_str(&actual);
        rest = &rest[close..];
        blocks += 1;
    }
    rewritten.push_str(rest);
    assert!(blocks >= 6, "the tutorial has a session for each lesson");
    if !failures.is_empty() && std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, rewritten).unwrap();
        return;
    }
    assert!(
        failures.is_empty(),
        "docs/tutorial.md:\n{}",
        failures.join("\n")
    );
}

fn in_repository<T>(f: impl FnOnce() -> T) -> T {
    let _ = std::env::set_current_dir(env!("CARGO_MANIFEST_DIR"));
    f()
}
