//! Thousands of broken scripts, made by mutating the examples and by chance, go through the
//! parser and the checker: whatever the input, weir answers with diagnostics, never a panic.

use std::panic;

/// A small deterministic generator, so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "app",
    "workflow",
    "on",
    "new",
    "updated",
    "deleted",
    "in",
    "do",
    "where",
    "unless",
    "continue if",
    "let",
    "create",
    "update",
    "delete",
    "notify",
    "linked",
    "sync",
    "between",
    "and",
    "prefer",
    "latest",
    "scenario",
    "user creates",
    "expect",
    "no",
    "loop",
    "runs of",
    "owns",
    "engine",
    "changing",
    "reports",
    "actor",
    "changes",
    "emits",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "==",
    "!=",
    "<",
    ">",
    "??",
    "+",
    "-",
    "*",
    "/",
    ".",
    "<->",
    "->",
    "<-",
    "\"",
    "\"{",
    "}\"",
    "{{",
    "#",
    "\n",
    "none",
    "true",
    "if",
    "then",
    "else",
    "not",
    "or",
    "origin",
    "trigger.",
    "id",
    "now()",
    "time(\"x\")",
    "1h",
    "3.5",
    "text",
    "number",
    "stamp",
    "list<",
    "?",
    "é",
    "∞",
    "Calendar",
    "event",
    "title",
    "x",
];

fn mutate(rng: &mut Rng, source: &str) -> String {
    let mut chars: Vec<char> = source.chars().collect();
    for _ in 0..=rng.below(3) {
        let len = chars.len();
        match rng.below(6) {
            0 if len > 0 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(20)).min(len);
                chars.drain(at..end);
            }
            1 => {
                let at = rng.below(len + 1);
                let token = TOKENS[rng.below(TOKENS.len())];
                chars.splice(at..at, format!(" {token} ").chars());
            }
            2 if len > 0 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(40)).min(len);
                let copy: Vec<char> = chars[at..end].to_vec();
                let to = rng.below(len + 1);
                chars.splice(to..to, copy);
            }
            3 => chars.truncate(rng.below(len + 1)),
            4 if len > 0 => {
                let at = rng.below(len);
                chars[at] = char::from(32 + rng.below(95) as u8);
            }
            _ => {
                let at = rng.below(len + 1);
                let token = TOKENS[rng.below(TOKENS.len())];
                chars.splice(at..at, token.chars());
            }
        }
    }
    chars.into_iter().collect()
}

fn random_script(rng: &mut Rng) -> String {
    (0..rng.below(60))
        .map(|_| TOKENS[rng.below(TOKENS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn seeds() -> Vec<String> {
    let mut seeds = Vec::new();
    for dir in ["examples", "tests/check"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for entry in std::fs::read_dir(path).expect("seed folder exists") {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "weir") {
                seeds.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    seeds
}

#[test]
fn no_input_makes_the_checker_panic() {
    let seeds = seeds();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut inputs: Vec<String> = Vec::new();
    for _ in 0..4000 {
        let seed = &seeds[rng.below(seeds.len())];
        inputs.push(mutate(&mut rng, seed));
    }
    for _ in 0..1000 {
        inputs.push(random_script(&mut rng));
    }
    inputs.push("(".repeat(5000));
    inputs.push(format!(
        "on new e in A do notify {}1{}",
        "(".repeat(400),
        ")".repeat(400)
    ));
    inputs.push(format!(
        "on new e in A do notify {}",
        "-".repeat(3000) + "1"
    ));
    inputs.push("\"".repeat(999));

    let mut failures = Vec::new();
    for input in &inputs {
        // The same property as the `check` target of the fuzzing campaign (docs/fuzzing.md).
        let result = panic::catch_unwind(|| weir::fuzzing::check(input.as_bytes()));
        if result.is_err() {
            failures.push(input.clone());
        }
    }
    assert!(
        failures.is_empty(),
        "{} inputs made weir panic; the first:\n{}",
        failures.len(),
        failures.first().map(String::as_str).unwrap_or("")
    );
}
