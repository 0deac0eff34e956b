//! The properties the fuzzing campaign checks, written once for the `cargo fuzz` targets in
//! `fuzz/` and for `tests/fuzz_regressions.rs`, which replays every input the campaign kept.
//!
//! Each property takes the raw bytes of one input and panics when weir gets it wrong; an
//! input it has nothing to say about (not UTF-8, not a script) simply passes:
//!
//! ```text
//! fmt     on new e in A do notify "{1e999}"   # fails: fmt prints `inf`, a name, not a number
//! eval    1 + 2 * 3                            # passes: folding and evaluation both say 7
//! ```
//!
//! Not part of weir's interface: it is public only so that the targets can reach it.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::ast::ReplEntry;
use crate::diagnostic::{self, Diagnostic, Report};
use crate::load;
use crate::program::Program;
use crate::run::input::Decoder;
use crate::serve::webhook::{self, Parsed};
use crate::source::SourceMap;

/// A property: it panics when weir gets the input wrong.
pub type Property = fn(&[u8]);

/// The targets, by the names `fuzz/run` and the regression folders use.
pub const TARGETS: &[(&str, Property)] = &[
    ("parse", parse),
    ("check", check),
    ("fmt", fmt),
    ("eval", eval),
    ("input", input),
    ("webhook", webhook),
];

/// The stack `weir` has on its main thread, which the properties run with.
const STACK: usize = 8 << 20;

/// Runs a property on a thread of its own with the stack `weir` runs with, as the targets and
/// the replay test do: there, Rust reports a stack overflow and aborts, where on libFuzzer's
/// own thread the process would die with no word and no input saved. A panic goes on to the
/// caller.
pub fn run(property: Property, data: &[u8]) {
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(scope, || property(data))
            .expect("a thread for the input")
            .join()
    });
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The property of the target called `name`.
pub fn target(name: &str) -> Option<Property> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The script the decoding targets read events for: a simulated app with a field of every
/// type, and a real app (`at "url"`), whose webhooks read differently.
pub const EVENTS_SCRIPT: &str = r#"
engine keragon

app Shop {
  reports actor, changes
  order {
    customer: text
    total: number
    placed: time
    note: text?
    paid: bool?
    wait: duration?
    tags: list<text>?
    origin: stamp
  }
}

app Desk at "http://127.0.0.1:9/api" {
  reports actor, changes
  ticket { title: text, priority: number?, due: time? }
}

on new order in Shop do create ticket in Desk { title: customer }
"#;

/// The clock of the `eval` target, as a scenario's default.
const NOW: i64 = 1_893_456_000;

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Parses a script and renders its syntax errors.
pub fn parse(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let loaded = load::parse_all(vec![("fuzz.weir".into(), text.into())]);
    diagnostic::render_plain(&loaded.sources, &loaded.diagnostics);
}

/// Checks a script as `weir check` does (syntax, names and types, flow) and renders the
/// diagnostics.
pub fn check(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let loaded = load::parse_all(vec![("fuzz.weir".into(), text.into())]);
    let diagnostics = crate::check::check_loaded(&loaded);
    diagnostic::render_plain(&loaded.sources, &diagnostics);
}

/// The codes of a script's errors and warnings: what `weir check` decides about it.
fn verdict(text: &str) -> BTreeSet<String> {
    let loaded = load::parse_all(vec![("fuzz.weir".into(), text.into())]);
    let diagnostics: Vec<Diagnostic> = crate::check::check_loaded(&loaded);
    diagnostics
        .iter()
        .filter(|d| diagnostic::is_error(d) || diagnostic::is_warning(d))
        .filter_map(|d| d.code.clone())
        .collect()
}

/// `weir fmt` of a script that parses: the result parses to the same syntax tree (which
/// ignores layout), formatting it again changes nothing, and `weir check` says the same of
/// both.
pub fn fmt(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(script) = crate::syntax::parse_script(0, text) else {
        return;
    };
    let formatted = crate::fmt::format(&script, text);
    let again = match crate::syntax::parse_script(0, &formatted) {
        Ok(script) => script,
        Err(err) => panic!(
            "fmt printed a script that does not parse ({}):\n{formatted}",
            err.report().message
        ),
    };
    assert!(
        again.items == script.items,
        "fmt changed the script's meaning: it printed\n{formatted}"
    );
    let twice = crate::fmt::format(&again, &formatted);
    assert!(
        twice == formatted,
        "fmt is not idempotent:\n--- once\n{formatted}\n--- twice\n{twice}"
    );
    let (before, after) = (verdict(text), verdict(&formatted));
    assert!(
        before == after,
        "fmt changed what check says: {before:?} before, {after:?} after:\n{formatted}"
    );
}

fn empty_program() -> &'static Program {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    PROGRAM.get_or_init(|| crate::check::check(&[], &SourceMap::new()).program)
}

/// A closed expression (as typed at the REPL) that checks: when the checker's constant
/// folding gives it a value, evaluating it gives the same value.
pub fn eval(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(ReplEntry::Expr(e)) = crate::syntax::parse_repl_entry(0, text) else {
        return;
    };
    let program = empty_program();
    let mut sources = SourceMap::new();
    sources.add("fuzz".to_string(), text.to_string());
    let (checked, problems) = crate::check::check_expression(program, &sources, &e);
    let diagnostics: Vec<Diagnostic> = problems.iter().map(Report::report).collect();
    if diagnostic::has_errors(&diagnostics) {
        return;
    }
    let Some(folded) = crate::flow::eval::eval(&checked, &Default::default(), &[]) else {
        return;
    };
    let scope = crate::run::eval::Scope::constant(program, NOW);
    match crate::run::eval::eval(&checked, &scope) {
        // Debug text, so that NaN matches NaN and 0 does not match -0.
        Ok(value) => assert!(
            format!("{value:?}") == format!("{folded:?}"),
            "`{text}` folds to {folded:?} but evaluates to {value:?}"
        ),
        Err(err) => panic!(
            "`{text}` folds to {folded:?} but evaluating it fails: {}",
            err.report().message
        ),
    }
}

fn events_program() -> &'static Program {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let loaded = load::parse_all(vec![("events.weir".into(), EVENTS_SCRIPT.into())]);
        let (program, diagnostics) = crate::check::check_all(&loaded);
        program.unwrap_or_else(|| {
            panic!(
                "the events script does not check:\n{}",
                diagnostic::render_plain(&loaded.sources, &diagnostics)
            )
        })
    })
}

/// Input lines (`weir run --events`), one per line of the input: each is decoded or refused
/// with a message, and a line with a key given twice in one object is refused.
pub fn input(data: &[u8]) {
    let decoder = Decoder::new(events_program());
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        let decoded = decoder.decode_bytes(i + 1, line);
        if let Ok(event) = &decoded {
            assert!(
                !has_duplicate_keys(line),
                "a line with a key given twice was accepted: {}\n{event:?}",
                String::from_utf8_lossy(line)
            );
        }
        if let Err(err) = &decoded {
            let _ = err.to_string();
        }
    }
}

/// A webhook, written as a request: the path's `App/entity/kind` on the first line, then
/// headers (`X-Weir-Actor: …`, `X-Weir-Changed: …`) up to an empty line, then the body.
/// Reading it twice (on arrival and when it runs) gives the same answer; for a simulated app,
/// without `X-Weir-Changed`, the answer is the input line's with the same record.
pub fn webhook(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let path = lines.next().unwrap_or("");
    let mut parts = path.trim_start_matches('/').splitn(3, '/');
    let (app, entity, kind) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let (mut actor, mut changed) = (None, None);
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "x-weir-actor" => actor = Some(value.trim()),
                "x-weir-changed" => changed = Some(value.trim()),
                _ => {}
            }
        }
    }
    let program = events_program();
    let Ok((entity_id, event_kind)) = webhook::route(program, app, entity, kind) else {
        return;
    };
    let read = || webhook::parse(program, entity_id, event_kind, body, actor, changed);
    let (first, second) = (read(), read());
    assert!(
        format!("{first:?}") == format!("{second:?}"),
        "the same webhook read twice gave two answers:\n{first:?}\n{second:?}"
    );
    // The line has no `X-Weir-Changed` to check (its `changed` is ignored), so only a webhook
    // without one reads as a line does.
    if program
        .app(program.entity(entity_id).app)
        .location
        .is_some()
        || changed.is_some()
    {
        return;
    }
    let mut line = format!(
        r#"{{"kind":{},"app":{},"entity":{}"#,
        serde_json::Value::from(kind),
        serde_json::Value::from(app),
        serde_json::Value::from(entity),
    );
    if let Some(actor) = actor {
        line += &format!(r#","actor":{}"#, serde_json::Value::from(actor));
    }
    line += &format!(r#","record":{body}}}"#);
    // Only a body that is one JSON value makes a line of the same meaning.
    if serde_json::from_str::<de::IgnoredAny>(body).is_err() || line.contains('\n') {
        return;
    }
    let as_line = Decoder::new(program).decode(1, &line);
    match (&first, &as_line) {
        (Ok(Parsed::Change(a)), Ok(b)) => assert!(
            format!("{a:?}") == format!("{b:?}"),
            "a webhook and its input line read differently:\n{a:?}\n{b:?}"
        ),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(err)) => panic!("the webhook is accepted but its input line is not: {err}"),
        (Err(problem), Ok(_)) => panic!(
            "the input line is accepted but its webhook is not: {}",
            problem.message
        ),
        (Ok(Parsed::Report { .. }), _) => unreachable!("expected a simulated app's change"),
    }
}

/// Whether some object in a JSON text names a key twice (false for text that is not JSON).
pub fn has_duplicate_keys(json: &[u8]) -> bool {
    let mut de = serde_json::Deserializer::from_slice(json);
    matches!(Unique::deserialize(&mut de), Err(err) if err.to_string().starts_with(DUPLICATE))
}

const DUPLICATE: &str = "duplicate key";

/// A JSON value read only to find objects that name a key twice.
struct Unique;

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Unique, D::Error> {
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("{DUPLICATE} `{key}`")));
            }
            map.next_value::<Unique>()?;
        }
        Ok(Unique)
    }
}
