//! Golden tests: every `tests/<suite>/NAME.weir` is run through the real `weir` binary and its
//! output compared with `NAME.stdout` and `NAME.stderr` beside it (a missing file means the
//! stream must be empty). `BLESS=1 cargo test --test golden` rewrites the expectations.
//!
//! The command is `weir check NAME.weir` unless the script's first line says otherwise:
//! `# args: test --no-check` runs `weir test --no-check NAME.weir`, and `# stdin: FILE` feeds
//! FILE (beside the script) to standard input.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut trials = Vec::new();
    let mut suites: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    suites.sort();
    for suite in suites {
        let mut cases: Vec<PathBuf> = std::fs::read_dir(&suite)
            .expect("a suite folder is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "weir"))
            .collect();
        cases.sort();
        let suite_name = suite.file_name().unwrap().to_string_lossy().to_string();
        for case in cases {
            let name = format!(
                "{suite_name}::{}",
                case.file_stem().unwrap().to_string_lossy()
            );
            trials.push(Trial::test(name, move || run_case(&case)));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn run_case(case: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(case)
        .map_err(|e| format!("cannot read {}: {e}", case.display()))?;
    let first = text.lines().next().unwrap_or("");
    let dir = case.parent().unwrap();
    let file = case.file_name().unwrap().to_string_lossy().to_string();
    let mut args: Vec<String> = match first.strip_prefix("# args:") {
        Some(rest) => rest.split_whitespace().map(String::from).collect(),
        None => vec!["check".into()],
    };
    args.push(file);
    let stdin_file = text
        .lines()
        .take(3)
        .find_map(|l| l.strip_prefix("# stdin:"))
        .map(|f| dir.join(f.trim()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
    command
        .args(&args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match &stdin_file {
        Some(path) => {
            let input = std::fs::File::open(path)
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            command.stdin(input);
        }
        None => {
            command.stdin(Stdio::null());
        }
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run weir: {e}"))?;
    let mut stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let code = output.status.code().unwrap_or(-1);
    stderr.push_str(&format!("[exit {code}]\n"));
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let mut problems = Vec::new();
    compare(&case.with_extension("stderr"), &stderr, &mut problems);
    compare(&case.with_extension("stdout"), &stdout, &mut problems);
    if stderr.contains("panicked") {
        problems.push("weir panicked".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

fn compare(expected_path: &Path, actual: &str, problems: &mut Vec<String>) {
    let expected = std::fs::read_to_string(expected_path).unwrap_or_default();
    if expected == actual {
        return;
    }
    if std::env::var_os("BLESS").is_some() {
        if actual.is_empty() {
            let _ = std::fs::remove_file(expected_path);
        } else {
            std::fs::write(expected_path, actual).expect("can write expectations");
        }
        return;
    }
    let diff = similar::TextDiff::from_lines(&expected, actual)
        .unified_diff()
        .header("expected", "actual")
        .to_string();
    problems.push(format!(
        "{} differs (run with BLESS=1 to accept):\n{diff}",
        expected_path.display()
    ));
}
