//! Every input the fuzzing campaign kept (`tests/fuzz_regressions/TARGET/NAME`) goes through
//! its target's property again, as `cargo fuzz` ran it: weir must not panic on it, and the
//! target's assertions (fmt idempotent, folding agrees with evaluation, …) must hold.
//!
//! Inputs listed in `tests/fuzz_regressions/KNOWN_FAILING` (one `TARGET/NAME` a line, `#`
//! comments) still fail and are skipped with a note; a fix removes its line.

use std::path::{Path, PathBuf};

use weir::fuzzing;

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions")
}

fn known_failing() -> Vec<String> {
    let text = std::fs::read_to_string(folder().join("KNOWN_FAILING")).unwrap_or_default();
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

/// Every kept input, as `TARGET/NAME` with its path.
fn kept() -> Vec<(String, PathBuf)> {
    let mut inputs = Vec::new();
    for (target, _) in fuzzing::TARGETS {
        let Ok(entries) = std::fs::read_dir(folder().join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable folder").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            inputs.push((format!("{target}/{name}"), path));
        }
    }
    inputs.sort();
    inputs
}

/// Runs one input through its target as `cargo fuzz` does; the panic's message if it fails.
fn replay(target: &str, data: &[u8]) -> Result<(), String> {
    let property = fuzzing::target(target).expect("a known target");
    std::panic::catch_unwind(|| fuzzing::run(property, data)).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

#[test]
fn every_kept_input_passes_its_target() {
    let skip = known_failing();
    let inputs = kept();
    assert!(!inputs.is_empty(), "no kept inputs under {:?}", folder());
    let mut failures = Vec::new();
    for (name, path) in &inputs {
        if skip.contains(name) {
            println!("skipped {name}: listed in KNOWN_FAILING");
            continue;
        }
        let target = name.split('/').next().unwrap();
        if let Err(message) = replay(target, &std::fs::read(path).unwrap()) {
            failures.push(format!("{name}: {message}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} kept inputs fail their target:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_known_failing_list_names_kept_inputs() {
    let kept: Vec<String> = kept().into_iter().map(|(name, _)| name).collect();
    for name in known_failing() {
        assert!(
            kept.contains(&name),
            "KNOWN_FAILING names `{name}`, which is not under tests/fuzz_regressions"
        );
    }
}

#[test]
fn only_targets_have_folders() {
    for entry in std::fs::read_dir(folder()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                fuzzing::target(&name).is_some(),
                "tests/fuzz_regressions/{name} is not a fuzz target's folder"
            );
        }
    }
}

/// The properties can fail: each catches the defect it is there for.
#[test]
fn the_properties_catch_what_they_check() {
    let fails = |target: &str, input: &str| replay(target, input.as_bytes()).is_err();
    // A key given twice in an accepted line.
    assert!(fuzzing::has_duplicate_keys(br#"{"a":1,"b":{"c":1,"c":2}}"#));
    assert!(!fuzzing::has_duplicate_keys(
        br#"{"a":1,"b":{"c":1,"d":[{"c":2}]}}"#
    ));
    // Inputs that are fine pass.
    assert!(!fails("eval", "1 + 2 * 3"));
    assert!(!fails("fmt", "on new e in A do notify \"x\""));
    assert!(!fails(
        "input",
        r#"{"kind":"new","app":"Shop","entity":"order","record":{"customer":"Ana","total":1,"placed":"2030-01-02T09:00:00Z"}}"#
    ));
}
