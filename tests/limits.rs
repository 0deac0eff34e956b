//! Input at the edges, through the real binary: chains and nesting thousands deep, numbers and
//! times past their range, endless files, old Mac line endings and keys given twice. Each
//! must get a diagnostic that names the place, never a crash or a silent wrong answer.

use std::path::Path;
use std::process::Command;

#[path = "common/binary.rs"]
mod binary;

use binary::{scratch, text, weir};

/// A script whose one workflow writes `value` into a number field.
fn script_with(value: &str) -> String {
    format!(
        "app A {{ thing {{ x: number }} }}\napp B {{ thing {{ x: number }} }}\n\
         workflow copy {{\n  on new thing in A\n  create thing in B {{ x: {value} }}\n}}\n"
    )
}

/// Runs `weir ARGS… script.weir` on a script and says what happened.
fn check_text(dir: &Path, command: &str, script: &str) -> (Option<i32>, String, String) {
    std::fs::write(dir.join("s.weir"), script).unwrap();
    let out = weir(&[command, "s.weir"], dir);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn long_operator_chains_are_refused_with_a_span() {
    let dir = scratch("chains");
    for (op, term) in [("+", "x"), ("and", "x > 1"), ("==", "x"), ("??", "x")] {
        let chain = vec![term; 7000].join(&format!(" {op} "));
        let value = if op == "and" || op == "==" {
            format!("if {chain} then 1 else 2")
        } else {
            chain
        };
        for command in ["check", "fmt"] {
            let (code, _, stderr) = check_text(&dir, command, &script_with(&value));
            assert_eq!(code, Some(1), "`{op}` chain, weir {command}: {stderr}");
            assert!(
                stderr.contains("error[E0002]: this expression chains")
                    && stderr.contains("weir allows at most 128 levels")
                    && stderr.contains("s.weir:5:"),
                "`{op}` chain, weir {command}: {stderr}"
            );
        }
    }
}

#[test]
fn a_chain_within_the_limit_checks_and_runs() {
    let dir = scratch("chain-ok");
    let chain = vec!["x"; 120].join(" + ");
    let (code, _, stderr) = check_text(&dir, "check", &script_with(&chain));
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn brackets_and_ifs_nested_thousands_deep_are_refused() {
    let dir = scratch("nesting");
    let parens = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
    let ifs = format!("{}2", "if x > 1 then 1 else ".repeat(20_000));
    let interpolations = format!("{}x{}", "\"{".repeat(10_000), "}\"".repeat(10_000));
    for value in [parens, ifs, interpolations] {
        let (code, _, stderr) = check_text(&dir, "check", &script_with(&value));
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stderr.contains("error[E0002]: this expression is nested too deeply")
                && stderr.contains("s.weir:5:"),
            "{}",
            &stderr[..stderr.len().min(2000)]
        );
    }
}

#[test]
fn a_number_literal_past_the_range_is_refused_and_fmt_never_writes_inf() {
    let dir = scratch("literal");
    let huge = format!("1{}", "0".repeat(309));
    for command in ["check", "fmt"] {
        let (code, stdout, stderr) = check_text(&dir, command, &script_with(&huge));
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stderr.contains("error[E0003]: this number is too large")
                && stderr.contains("s.weir:5:"),
            "{stderr}"
        );
        assert!(!stdout.contains("inf"), "{stdout}");
    }
    // The largest finite literal is fine, and fmt writes it back as the same digits.
    let largest = format!("{}", f64::MAX);
    let (code, stdout, stderr) = check_text(&dir, "fmt", &script_with(&largest));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains(&largest) && !stdout.contains("inf"),
        "{stdout}"
    );
    // A duration whose seconds do not fit is refused too, not saturated.
    let (code, _, stderr) = check_text(
        &dir,
        "check",
        "on new thing in A do notify text(9000000000000000000d)\n",
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("error[E0003]"), "{stderr}");
}

/// A scenario's `line N` past the largest line number is refused where it is written, not
/// read as another line (it once became `line 4294967295`).
#[test]
fn a_line_reference_past_the_range_is_refused() {
    let dir = scratch("line-ref");
    let script = format!(
        "{}scenario \"copies\" {{\n  user creates thing in A {{ x: 1 }}\n  expect runs of line 99999999999 == 1\n}}\n",
        script_with("x")
    );
    let (code, _, stderr) = check_text(&dir, "check", &script);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error[E0003]: this number is too large: line numbers go up to 4294967295")
            && stderr.contains("s.weir:9:23")
            && !stderr.contains("4294967295`"),
        "{stderr}"
    );
}

#[test]
fn a_result_too_large_stops_the_run_and_the_state_reads_back() {
    let dir = scratch("overflow");
    std::fs::write(dir.join("s.weir"), script_with("x * 10")).unwrap();
    std::fs::write(
        dir.join("events.jsonl"),
        "{\"kind\":\"new\",\"app\":\"A\",\"entity\":\"thing\",\"record\":{\"x\":1e308}}\n\
         {\"kind\":\"new\",\"app\":\"A\",\"entity\":\"thing\",\"record\":{\"x\":2}}\n",
    )
    .unwrap();
    let args = [
        "run",
        "s.weir",
        "--events",
        "events.jsonl",
        "--state",
        "state.json",
    ];
    let out = weir(&args, &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[R0302]: `copy` failed: the result is too large for a number")
            && stderr.contains("s.weir:5:26")
            && stderr.contains("this is too large"),
        "{stderr}"
    );
    let state = std::fs::read_to_string(dir.join("state.json")).unwrap();
    assert!(
        !state.contains("inf") && !state.contains("null") && !state.contains("NaN"),
        "{state}"
    );
    // The second event's result (20) was stored, and the state loads again.
    assert!(state.contains("20"), "{state}");
    std::fs::write(dir.join("events.jsonl"), "").unwrap();
    let again = weir(&args, &dir);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
}

#[test]
fn a_twelve_digit_year_is_refused_not_wrapped() {
    let dir = scratch("years");
    let script = "app A { thing { when: time } }\napp B { thing { when: time } }\n\
                  workflow copy {\n  on new thing in A\n  create thing in B { when: when + 3650000d }\n}\n";
    std::fs::write(dir.join("s.weir"), script).unwrap();
    std::fs::write(
        dir.join("events.jsonl"),
        "{\"kind\":\"new\",\"app\":\"A\",\"entity\":\"thing\",\"record\":{\"when\":\"999999999999-01-01T00:00:00Z\"}}\n\
         {\"kind\":\"new\",\"app\":\"A\",\"entity\":\"thing\",\"record\":{\"when\":\"9000-01-01T00:00:00Z\"}}\n",
    )
    .unwrap();
    let out = weir(&["run", "s.weir", "--events", "events.jsonl"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("\"999999999999-01-01T00:00:00Z\" is not a time"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "the time or duration is out of range (times go from the year -9999 to 9999)"
        ) && stderr.contains("s.weir:5:29"),
        "{stderr}"
    );
    // A scenario's `time(…)` of such a year is a failed run, not a panic.
    let scenario = "app A { thing { n: number } }\non new thing in A do notify text(time(\"999999999999-01-01\"))\n\
                    scenario \"far\" {\n  user creates thing in A { n: 1 }\n  expect notified 1\n}\n";
    let (code, stdout, stderr) = check_text(&dir, "test", scenario);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("is not a time"),
        "{stdout}{stderr}"
    );
}

#[test]
fn endless_files_are_refused_with_the_limit() {
    let dir = scratch("endless");
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let out = weir(&["check", "/dev/zero"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read `/dev/zero`: it is larger than 4 MiB"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(dir.join("s.weir"), script_with("x")).unwrap();
    let out = weir(&["run", "s.weir", "--events", "/dev/zero"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[R0303]: /dev/zero:1: the line is longer than 1 MiB")
            && stderr.contains("weir stopped reading /dev/zero at line 1"),
        "{stderr}"
    );
}

#[test]
fn a_long_line_stops_the_input_after_the_lines_before_it_ran() {
    let dir = scratch("long-line");
    std::fs::write(dir.join("s.weir"), script_with("x")).unwrap();
    let good = "{\"kind\":\"new\",\"app\":\"A\",\"entity\":\"thing\",\"record\":{\"x\":1}}\n";
    let long = format!("{{\"kind\":\"new\",\"pad\":\"{}\"}}\n", "a".repeat(2 << 20));
    std::fs::write(dir.join("events.jsonl"), format!("{good}{long}{good}")).unwrap();
    let out = weir(&["run", "s.weir", "--events", "events.jsonl"], &dir);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("events.jsonl:2: the line is longer than 1 MiB"),
        "{stderr}"
    );
    assert!(stdout.contains("summary: 2 events, 1 run"), "{stdout}");
}

#[test]
fn a_file_with_old_mac_line_ends_reports_its_errors() {
    let dir = scratch("cr");
    let script =
        "# a comment\rapp A { thing { x: number } }\ron new thing in A do notify \"{nope}\"\r";
    let (code, _, stderr) = check_text(&dir, "check", script);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error[E0105]: unknown name `nope`") && stderr.contains("s.weir:3:31"),
        "{stderr}"
    );
}

#[test]
fn fmt_keeps_every_line_of_a_file_with_old_mac_line_ends() {
    let dir = scratch("cr-fmt");
    let script =
        "# a comment\rapp A { thing { x: number } }\ron new thing in A do notify \"{x}\"\r";
    let (code, stdout, stderr) = check_text(&dir, "fmt", script);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.starts_with("# a comment\napp A {")
            && stdout.contains("on new thing in A do notify \"{x}\"\n"),
        "{stdout:?}"
    );
}

#[test]
fn input_lines_with_old_mac_line_ends_are_lines() {
    let dir = scratch("cr-events");
    std::fs::write(dir.join("s.weir"), script_with("x")).unwrap();
    let good = "{\"kind\":\"new\",\"app\":\"A\",\"entity\":\"thing\",\"record\":{\"x\":1}}";
    std::fs::write(
        dir.join("events.jsonl"),
        format!("{good}\r{good}\r\n{good}\r"),
    )
    .unwrap();
    let out = weir(&["run", "s.weir", "--events", "events.jsonl"], &dir);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("summary: 6 events, 3 runs"), "{stdout}");
}

#[test]
fn a_key_given_twice_in_an_input_line_is_refused() {
    let dir = scratch("twice");
    let script = "app A { thing { x: number } }\non deleted thing in A do notify \"deleted\"\n\
                  on new thing in A do notify \"new\"\n";
    std::fs::write(dir.join("s.weir"), script).unwrap();
    std::fs::write(
        dir.join("events.jsonl"),
        "{\"kind\":\"new\",\"app\":\"A\",\"entity\":\"thing\",\"record\":{\"x\":1,\"id\":1},\"kind\":\"deleted\"}\n\
         {\"kind\":\"new\",\"app\":\"A\",\"entity\":\"thing\",\"record\":{\"x\":1,\"x\":2}}\n\
         {\"record\":{\"x\":1,\"x\":2},\"kind\":\"new\",\"app\":\"A\",\"entity\":\"thing\"}\n",
    )
    .unwrap();
    let out = weir(&["run", "s.weir", "--events", "events.jsonl"], &dir);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for (line, key) in [(1, "kind"), (2, "x"), (3, "x")] {
        assert!(
            stderr.contains(&format!(
                "events.jsonl:{line}: the key `{key}` is given twice"
            )),
            "{stderr}"
        );
    }
    assert!(stdout.contains("summary: 0 events"), "{stdout}");
}

/// The deepest expressions weir accepts are checked, folded, formatted and run within the
/// 2 MiB stack of a thread such as `weir serve`'s worker, with room to spare.
#[test]
fn the_deepest_accepted_expressions_fit_a_small_thread_stack() {
    let sum = vec!["x"; 128].join(" + ");
    let nested = format!("{}x{}", "(x + ".repeat(63), ")".repeat(63));
    let ands = vec!["x > 0"; 127].join(" and ");
    let script = format!(
        "app A {{ thing {{ x: number }} }}\napp B {{ thing {{ x: number, y: number, z: bool }} }}\n\
         workflow copy {{\n  on new thing in A\n  create thing in B {{ x: {sum}, y: {nested}, z: {ands} }}\n}}\n\
         scenario \"deep\" {{\n  user creates thing in A {{ x: 1 }}\n  expect 1 thing in B where x == 128\n}}\n"
    );
    let worker = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let loaded = weir::load::parse_all(vec![("deep.weir".into(), script.clone())]);
            assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
            let checked = weir::check::check(&loaded.scripts, &loaded.sources);
            assert!(!checked.has_errors());
            let formatted = weir::fmt::format(&loaded.scripts[0], &script);
            assert!(formatted.contains("x + x"));
            let program = std::sync::Arc::new(checked.program);
            let scenario = &program.scenarios[0];
            let result = weir::run::scenario::run(&program, scenario, Default::default());
            assert!(result.mismatch.is_none() && result.failures.is_empty());
        })
        .unwrap();
    worker.join().expect("no stack overflow on a 2 MiB thread");
}

#[test]
fn a_repl_fed_an_endless_line_stops_with_an_error() {
    let dir = scratch("repl");
    let long = format!("1 + {}\n", "1".repeat(2 << 20));
    std::fs::write(dir.join("input.txt"), format!("1 + 1\n{long}2 + 2\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("repl")
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .stdin(std::fs::File::open(dir.join("input.txt")).unwrap())
        .output()
        .expect("weir runs");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("2 : number\n")
            && stdout.contains("error: the line is longer than 1 MiB")
            && !stdout.contains("4 : number"),
        "{}",
        &stdout[..stdout.len().min(500)]
    );
}

#[test]
fn texts_that_would_grow_past_the_limit_stop_the_run() {
    let dir = scratch("long-text");
    let script = "app A { note { body: text } }\n\
                  on new note in A do notify replace(body, \"\", \"0123456789abcdefg\")\n\
                  on new note in A do notify join(split(body, \"\"), \"0123456789\")\n\
                  on new note in A do notify body + body + body + body + body + body + body + body + body + body + body + body + body + body + body + body + body + body\n";
    std::fs::write(dir.join("s.weir"), script).unwrap();
    // Just under the 1 MiB line limit: `replace` and `+` would make over 16 MiB of text, and
    // `split` over a million items.
    let body = "x".repeat(1_000_001);
    std::fs::write(
        dir.join("events.jsonl"),
        format!("{{\"kind\":\"new\",\"app\":\"A\",\"entity\":\"note\",\"record\":{{\"body\":\"{body}\"}}}}\n"),
    )
    .unwrap();
    let out = weir(
        &[
            "run",
            "s.weir",
            "--events",
            "events.jsonl",
            "--trace",
            "summary",
        ],
        &dir,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr
            .matches("the text would be longer than 16 MiB, the most weir keeps")
            .count(),
        2,
        "{stderr}"
    );
    assert!(
        stderr.contains("more than the 1000000 weir keeps in a list"),
        "{stderr}"
    );
}
