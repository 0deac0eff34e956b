//! How long `weir check` takes on large generated scripts with many loops.
//!
//! `cargo bench --bench check` prints, for 1,000, 10,000 and 100,000 workflows, the time to
//! parse, to check names and types, and to run the flow analysis (graph, breakers, components,
//! cycle reports), each the median of several runs. The scripts are rings of three mirrors
//! between declared apps; every other ring is guarded, so half of them are loops to report.

use std::time::{Duration, Instant};

fn script(workflows: usize) -> String {
    let rings = workflows / 3;
    let mut out = String::from("engine keragon\n\n");
    for app in 0..rings * 3 {
        out.push_str(&format!(
            "app A{app} {{\n  reports changes\n  event {{ title: text, count: number, notes: text?, origin: stamp }}\n}}\n"
        ));
    }
    for ring in 0..rings {
        for step in 0..3 {
            let from = ring * 3 + step;
            let to = ring * 3 + (step + 1) % 3;
            let guard = if ring % 2 == 0 {
                "  unless origin == keragon\n"
            } else {
                ""
            };
            out.push_str(&format!(
                "workflow mirror_{from} {{\n  on new event in A{from} where count < 100\n{guard}  let title2 = upper(title) + \" ({{notes ?? \"-\"}})\"\n  create event in A{to} {{ title: title2, count: count + 1 }}\n}}\n"
            ));
        }
    }
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    println!(
        "{:>10} {:>10} {:>12} {:>12} {:>12} {:>12} {:>8}",
        "workflows", "MiB", "parse", "names+types", "flow", "total", "loops"
    );
    for workflows in [1_000, 10_000, 100_000] {
        let text = script(workflows);
        let runs = if workflows >= 100_000 { 3 } else { 7 };
        let (mut parse, mut names, mut flow, mut total) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut loops = 0;
        for _ in 0..runs {
            let start = Instant::now();
            let loaded = weir::load::parse_all(vec![("bench.weir".into(), text.clone())]);
            let parsed = Instant::now();
            assert!(loaded.diagnostics.is_empty(), "the generated script parses");
            let checked = weir::check::check(&loaded.scripts, &loaded.sources);
            let typed = Instant::now();
            assert!(!checked.has_errors(), "the generated script is well typed");
            let problems = weir::flow::check(&checked.program);
            let diagnostics: Vec<_> = problems
                .iter()
                .map(weir::diagnostic::Report::report)
                .collect();
            let done = Instant::now();
            loops = diagnostics.len();
            parse.push(parsed - start);
            names.push(typed - parsed);
            flow.push(done - typed);
            total.push(done - start);
        }
        println!(
            "{:>10} {:>10.1} {:>12.1?} {:>12.1?} {:>12.1?} {:>12.1?} {:>8}",
            workflows,
            text.len() as f64 / (1024.0 * 1024.0),
            median(parse),
            median(names),
            median(flow),
            median(total),
            loops
        );
    }
}
