//! How soon `weir lsp` sends diagnostics after a change to a 2,000-line script.
//!
//! `cargo bench --bench lsp` starts the server, opens a generated script of 2,000 lines (apps,
//! and workflows in pairs that mirror each other, half of them guarded, so there are loops to
//! report), then changes one text in it again and again and times each change from the moment
//! it is sent to the moment its diagnostics arrive. That time includes the 50 ms the server
//! waits for the editor to be quiet; the rest is checking and sending.

#[path = "../tests/lsp/client.rs"]
#[expect(dead_code, reason = "the benchmark uses only part of the test client")]
mod client;

use std::time::{Duration, Instant};

use serde_json::json;

const URI: &str = "file:///bench/big.weir";
const LINES: usize = 2_000;
const ROUNDS: usize = 30;

fn script() -> String {
    let mut out = String::from("engine keragon\n\n");
    let mut pair = 0;
    while out.lines().count() < LINES {
        out.push_str(&format!(
            "app Left{pair} {{\n  contact {{ name: text, phone: text?, visits: number, origin: stamp }}\n}}\napp Right{pair} {{\n  contact {{ name: text, phone: text?, visits: number, origin: stamp }}\n}}\n"
        ));
        for (from, to) in [("Left", "Right"), ("Right", "Left")] {
            let guard = if pair % 2 == 0 {
                "  unless origin == keragon\n"
            } else {
                ""
            };
            out.push_str(&format!(
                "workflow {from}_{pair}_out {{\n  on new contact in {from}{pair} where visits > 0\n{guard}  let label = upper(name) + \" ({{phone ?? \"none\"}})\"\n  create contact in {to}{pair} {{ name: label, phone: phone, visits: visits + 1 }}\n}}\n"
            ));
        }
        pair += 1;
    }
    out
}

fn main() {
    let text = script();
    let lines = text.lines().count();
    let (mut client, _) = client::Client::initialized();
    client.open(URI, &text);
    let first = client.diagnostics(URI);
    let loops = first.iter().filter(|d| d["code"] == "E0301").count();
    // The change: a different text in the first `upper(name) + "…"` each round.
    let at = text.find("\" (").expect("the script has a text to change") + 1;
    let before = &text[..at];
    let line = before.matches('\n').count();
    let character = at - before.rfind('\n').map_or(0, |i| i + 1);
    let mut samples = Vec::new();
    for round in 0..ROUNDS {
        let version = round as i64 + 2;
        let position = json!({ "line": line, "character": character });
        let start = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": URI, "version": version },
                "contentChanges": [{ "range": { "start": position, "end": position }, "text": "x" }],
            }),
        );
        let published = client.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == version
        });
        samples.push(start.elapsed());
        let count = published["params"]["diagnostics"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(
            count,
            first.len(),
            "a change inside a text changes no finding"
        );
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let quiet = Duration::from_millis(50);
    println!(
        "script: {lines} lines, {} diagnostics ({loops} loops)",
        first.len()
    );
    println!(
        "change to diagnostics: median {:.1} ms, fastest {:.1} ms, slowest {:.1} ms over {ROUNDS} changes",
        ms(median),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    );
    println!(
        "of which checking and sending (less the {} ms quiet wait): median {:.1} ms",
        quiet.as_millis(),
        ms(median.saturating_sub(quiet))
    );
    let (status, _) = client.shutdown();
    assert!(status.success());
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
