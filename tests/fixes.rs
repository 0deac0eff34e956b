//! Advice that is right: every `tests/fixes/NAME.weir` is a script with a problem, beside
//! `NAME.fixed.weir`, the script after following the `help:` it gets. For each pair:
//!
//! - the script gives the code its first line names (`# fixes: E0307`);
//! - every line the fix adds is one the help names (a fragment the help writes in backticks),
//!   or lies inside a block such a line opens; a fix that only removes lines needs a help that
//!   says to remove, replace or keep one of something;
//! - the fixed script checks with no diagnostic at all, not even a warning;
//! - its scenarios, which say what the script was meant to do, all pass under `weir test`,
//!   and the same scenarios fail on the script before the fix (`weir test --no-check`), so
//!   they do test what the fix changes.
//!
//! The expected diagnostics themselves are golden files beside them (`tests/golden.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use weir::load;

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixes");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixes is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "weir")
                && !p.to_string_lossy().ends_with(".fixed.weir")
        })
        .collect();
    cases.sort();
    cases
}

/// Every (code, help) a script's diagnostics give.
fn helps(name: &str, text: &str) -> Vec<(String, String)> {
    let loaded = load::parse_all(vec![(name.to_string(), text.to_string())]);
    weir::check::check_loaded(&loaded)
        .into_iter()
        .flat_map(|d| {
            let code = d.code.clone().unwrap_or_default();
            d.notes
                .iter()
                .filter_map(|n| n.strip_prefix("help: ").map(str::to_string))
                .map(|h| (code.clone(), h))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The fragments a help writes in backticks, with `{ … }` and `…` left out.
fn fragments(help: &str) -> Vec<String> {
    help.split('`')
        .skip(1)
        .step_by(2)
        .map(|f| f.replace("{ … }", "").replace('…', "").trim().to_string())
        .filter(|f| f.len() >= 3)
        .collect()
}

/// A script line without its comment, trimmed.
fn code_of(line: &str) -> &str {
    line.split(" #").next().unwrap_or(line).trim()
}

fn weir(args: &[&str], dir: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("weir runs");
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[expect(
    clippy::too_many_lines,
    reason = "one fix case checked whole: the finding, its help applied, the fixed script checked and its scenarios run"
)]
fn check_case(case: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(case).map_err(|e| e.to_string())?;
    let fixed_path = case.with_extension("fixed.weir");
    let fixed = std::fs::read_to_string(&fixed_path)
        .map_err(|e| format!("{}: {e}", fixed_path.display()))?;
    let header = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# fixes:"))
        .ok_or("the first line must be `# fixes: CODE`")?;
    // `# fixes: E0401, same runs`: a fix that changes what is declared, not what runs.
    let (code, same_runs) = match header.split_once(',') {
        Some((code, rest)) => (code.trim().to_string(), rest.trim() == "same runs"),
        None => (header.trim().to_string(), false),
    };

    let helps = helps("case.weir", &text);
    if !helps.iter().any(|(c, _)| *c == code) {
        return Err(format!(
            "the script does not give {code}; it gives {helps:?}"
        ));
    }
    let named: Vec<String> = helps.iter().flat_map(|(_, h)| fragments(h)).collect();

    // Every added line is named by a help, or lies in a block such a line opens.
    let diff = similar::TextDiff::from_lines(&text, &fixed);
    let mut depth = 0usize;
    let mut added = 0;
    let mut removed = 0;
    for change in diff.iter_all_changes() {
        let line = code_of(change.value());
        match change.tag() {
            similar::ChangeTag::Insert => {
                added += 1;
                let opens = line.matches('{').count();
                let closes = line.matches('}').count();
                let ok = depth > 0
                    || line.is_empty()
                    || line.starts_with('#')
                    || line == "}"
                    || named
                        .iter()
                        .any(|f| line.contains(f.as_str()) || f.contains(line));
                if !ok {
                    return Err(format!(
                        "the fix adds `{line}`, which no help names; the helps say {:?}",
                        helps.iter().map(|(_, h)| h).collect::<Vec<_>>()
                    ));
                }
                depth = (depth + opens).saturating_sub(closes);
            }
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => depth = 0,
        }
    }
    if added == 0 && removed == 0 {
        return Err("the fixed script is the same as the script".into());
    }
    if added == 0
        && !helps.iter().any(|(_, h)| {
            ["remove", "replace", "keep one"]
                .iter()
                .any(|w| h.contains(w))
        })
    {
        return Err("the fix only removes lines, but no help says to remove anything".into());
    }

    let remaining = self::helps("fixed.weir", &fixed);
    let loaded = load::parse_all(vec![("fixed.weir".to_string(), fixed.clone())]);
    let diagnostics = weir::check::check_loaded(&loaded);
    if !diagnostics.is_empty() {
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code.clone()).collect();
        return Err(format!(
            "the fixed script is not clean: {codes:?} {remaining:?}"
        ));
    }

    let dir = case.parent().expect("a case has a folder");
    let fixed_name = fixed_path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let (passed, output) = weir(&["test", &fixed_name], dir);
    if !passed || !output.contains(" passed, 0 failed") || output.contains("0 passed") {
        return Err(format!(
            "the fixed script's scenarios do not all pass:\n{output}"
        ));
    }
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let (passed, output) = weir(&["test", "--no-check", &name], dir);
    if passed && !same_runs {
        return Err(format!(
            "the scenarios pass before the fix too, so they do not show what it changes:\n{output}"
        ));
    }
    Ok(())
}

#[test]
fn every_suggested_fix_checks_clean_and_does_what_was_meant() {
    let mut failures = Vec::new();
    let cases = cases();
    assert!(!cases.is_empty(), "tests/fixes holds cases");
    for case in &cases {
        if let Err(why) = check_case(case) {
            failures.push(format!("{}: {why}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_flow_code_has_a_fix_case() {
    let covered: Vec<String> = cases()
        .iter()
        .filter_map(|c| {
            let text = std::fs::read_to_string(c).ok()?;
            let header = text.lines().next()?.strip_prefix("# fixes:")?;
            Some(header.split(',').next()?.trim().to_string())
        })
        .collect();
    for code in weir::codes::Code::ALL {
        let name = code.as_str();
        if (name.starts_with("E03")
            || name.starts_with("W03")
            || name.starts_with("E04")
            || name.starts_with("W04"))
            && !covered.iter().any(|c| c == name)
        {
            panic!("{name} has no case in tests/fixes: add NAME.weir and NAME.fixed.weir");
        }
    }
}
