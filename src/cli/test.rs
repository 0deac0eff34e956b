//! `weir test FILE…`: run every scenario in the simulator and say which pass.

use std::sync::Arc;

use clap::Args;

use crate::diagnostic::{self, Report};
use crate::load;
use crate::program::Program;
use crate::run::{Options, scenario, trace};
use crate::source::SourceMap;

/// Run every scenario of each script in the simulator; print `ok` or `FAILED` with the reason.
#[derive(Args)]
#[command(
    after_help = "Each file is tested on its own. A script with check errors is refused unless --no-check.\n\nExamples:\n  weir test examples/calendar_mirror.weir\n  weir test examples/*.weir\n  weir test --no-check examples/loop_demo.weir"
)]
pub struct TestArgs {
    /// The script files.
    #[arg(required = true)]
    files: Vec<String>,
    #[command(flatten)]
    checks: super::CheckFlags,
}

pub fn run(args: TestArgs) -> u8 {
    // Every file must be readable before anything runs.
    let mut texts = Vec::new();
    for file in &args.files {
        match load::read_text(file) {
            Ok(text) => texts.push((file.clone(), text)),
            Err(err) => return super::usage_error(err),
        }
    }
    let (mut passed, mut failed, mut refused) = (0u64, 0u64, 0u64);
    for (file, text) in texts {
        let loaded = load::parse_all(vec![(file.clone(), text)]);
        let Some(program) = super::program_to_run(
            &loaded,
            &super::Gate {
                flags: &args.checks,
                refusal: &format!("the scenarios of `{file}` were not run"),
                forced: &format!("run `weir test --no-check {file}`"),
            },
        ) else {
            refused += 1;
            continue;
        };
        let program = Arc::new(program);
        note_real_apps(&program);
        if program.scenarios.is_empty() {
            eprintln!("note: `{file}` has no scenarios");
        }
        for s in &program.scenarios {
            let result = scenario::run(&program, s, Options::default());
            if report(&file, &program, &loaded.sources, &result) {
                passed += 1;
            } else {
                failed += 1;
            }
        }
    }
    if refused > 0 {
        println!(
            "{passed} passed, {failed} failed; {} not run because of the problems above",
            diagnostic::plural(refused, "file")
        );
    } else {
        println!("{passed} passed, {failed} failed");
    }
    if failed > 0 || refused > 0 {
        super::FAILURE
    } else {
        super::SUCCESS
    }
}

/// Prints a scenario's result (and, when it failed, what differed and the trace); whether it passed.
fn report(
    file: &str,
    program: &Program,
    sources: &SourceMap,
    result: &scenario::ScenarioRun,
) -> bool {
    let failures: Vec<_> = result
        .failures
        .iter()
        .map(|f| {
            let mut d = f.report();
            d.notes
                .insert(0, format!("in scenario \"{}\"", result.name));
            d
        })
        .collect();
    diagnostic::emit_to_stderr(sources, &failures);
    match &result.mismatch {
        None => {
            println!("test {file}::{} ... ok", result.name);
            true
        }
        Some(mismatch) => {
            println!("test {file}::{} ... FAILED", result.name);
            let mut text = mismatch.explain(program, sources);
            text.push_str("trace:\n");
            if result.trace.is_empty() {
                text.push_str("  (nothing happened)\n");
            } else {
                let mut tree = String::new();
                trace::human(program, sources, &result.trace, &mut tree);
                for line in tree.lines() {
                    text.push_str("  ");
                    text.push_str(line);
                    text.push('\n');
                }
            }
            for line in text.lines() {
                println!("    {line}");
            }
            false
        }
    }
}

/// `weir test` never contacts real apps: says so when a script declares some.
fn note_real_apps(program: &Program) {
    let real: Vec<String> = program
        .apps
        .iter()
        .filter(|a| a.location.is_some())
        .map(|a| format!("`{}`", a.name))
        .collect();
    if !real.is_empty() && !program.scenarios.is_empty() {
        eprintln!(
            "note: `weir test` simulates every app, so {} declared `at \"url\"` {} not contacted; `weir run` and `weir serve` talk to {}",
            real.join(", "),
            if real.len() == 1 { "is" } else { "are" },
            if real.len() == 1 { "it" } else { "them" },
        );
    }
}
