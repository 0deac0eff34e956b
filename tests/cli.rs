//! The command line as a user meets it: exit codes, JSON output, and bad paths.

use std::process::{Command, Output};

fn weir(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("weir runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("weir-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_missing_file_is_a_usage_error_with_its_name() {
    let output = weir(&["check", "no/such/file.weir"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read `no/such/file.weir`: there is no such file"));
}

#[test]
fn a_directory_is_a_usage_error() {
    let output = weir(&["check", "examples"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("it is a directory"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn invalid_utf8_is_named_not_a_panic() {
    let path = temp_file("latin1.weir", b"app Caf\xe9 { }\n");
    let output = weir(&["check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("not UTF-8 text") && text.contains("offset 7"),
        "{text}"
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let path = temp_file(
        "warn.weir",
        b"app A { e { x: text } }\nworkflow w {\n  on new e in A\n  let y = x\n  notify x\n}\n",
    );
    let path = path.to_str().unwrap();
    assert_eq!(weir(&["check", path]).status.code(), Some(0));
    assert_eq!(
        weir(&["check", "--deny-warnings", path]).status.code(),
        Some(1)
    );
}

#[test]
fn json_diagnostics_have_positions_labels_and_help() {
    let path = temp_file(
        "json.weir",
        b"app A { e { x: text } }\non new e in A do notify y\n",
    );
    let output = weir(&["check", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["code"], "E0105");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["start"]["line"], 2);
    assert_eq!(first["start"]["column"], 25);
    assert_eq!(first["end"]["column"], 26);
    assert_eq!(first["labels"][0]["style"], "primary");
    assert!(first["help"].as_str().unwrap().contains("let y"));
    assert!(first["file"].as_str().unwrap().ends_with("json.weir"));
}

#[test]
fn several_files_are_checked_as_one_program() {
    let apps = temp_file("apps.weir", b"app A { e { x: text } }\n");
    let flows = temp_file("flows.weir", b"on new e in A do notify x\n");
    let output = weir(&["check", apps.to_str().unwrap(), flows.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn explain_knows_its_codes_and_suggests_close_ones() {
    assert_eq!(weir(&["explain", "E0201"]).status.code(), Some(0));
    let output = weir(&["explain", "E0219"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_shows_an_example_and_version_works() {
    let help = weir(&["check", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("Examples:"));
    let version = weir(&["--version"]);
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("weir "));
}

#[test]
fn unknown_commands_are_usage_errors() {
    assert_eq!(weir(&["chekc", "x.weir"]).status.code(), Some(2));
}

#[test]
fn check_closes_with_a_summary_unless_quiet() {
    let output = weir(&["check", "examples/calendar_mirror.weir"]);
    assert_eq!(output.status.code(), Some(0));
    let said = stderr(&output);
    let last = said.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("checked ") && last.ends_with(": no problems"),
        "{said}"
    );
    let quiet = weir(&["check", "-q", "examples/calendar_mirror.weir"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn every_command_that_runs_a_script_takes_deny_warnings() {
    for command in ["check", "run", "test", "serve", "graph"] {
        let output = weir(&[command, "--help"]);
        let help = String::from_utf8_lossy(&output.stdout).to_string();
        assert!(
            help.contains("--deny-warnings"),
            "`weir {command} --help`:\n{help}"
        );
    }
}

#[test]
fn a_reader_that_goes_away_ends_weir_quietly() {
    // More than a pipe holds, so that weir is still writing when the reader has gone.
    let mut script = String::from("app A { note { text: text } }\n");
    for i in 0..4000 {
        script.push_str(&format!(
            "on new note in A do notify \"note {i}: {{text}}\"\n"
        ));
    }
    let path = temp_file("closed_pipe.weir", script.as_bytes());
    let path = path.to_str().unwrap();
    for args in [vec!["fmt", path], vec!["graph", path], vec!["check", path]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("weir runs");
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("weir ends");
        assert_eq!(
            output.status.code(),
            Some(0),
            "weir {args:?}: {}",
            stderr(&output)
        );
        assert!(
            !stderr(&output).contains("panicked"),
            "weir {args:?}: {}",
            stderr(&output)
        );
    }
}
