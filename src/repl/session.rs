//! The REPL's backend: takes what was typed and returns what to show. No terminal code.
//!
//! Declarations and workflows are checked against everything added so far, through the same
//! pipeline as `weir check` (`check::stages_with`, with the REPL's options: each open app told
//! of once, and loops added as warnings under `:set checks off`), and added only when the result
//! has no errors (a rejected item changes nothing); a name defined again replaces the old
//! definition. User steps run at once in the simulator; `expect` lines are checked at once;
//! an expression prints its value and type.
//!
//! ```text
//! > on new event in A do create in B unless origin == weir     # added
//! > user creates event in A { title: "x" }                     # runs, prints the trace
//! > upper("hi")                                                # "HI" : text
//! > on new event in B do create in A                           # E0301 with the first: rejected
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use super::command::{self, Command, CommandError, GraphFormat};
use super::complete::Names;
use crate::ast::{self, Item, ReplEntry, Script};
use crate::check::{self, CheckError};
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Report};
use crate::program::Program;
use crate::run::{self, Engine, Options};
use crate::source::SourceMap;
use crate::span::Span;

/// What to show for one input, and whether the session should end.
#[derive(Debug, Default, PartialEq)]
pub struct Reply {
    pub text: String,
    pub quit: bool,
}

/// What an item defines, so that defining it again replaces it.
#[derive(Clone, Debug, PartialEq)]
enum Key {
    /// A `use` is replaced by what it reads before anything is keyed; this keys nothing.
    Use(Span),
    Engine,
    App(Arc<str>),
    Workflow(Arc<str>),
    /// One-liners have no name: each is its own, by the line it was typed on.
    OneLiner(Span),
    Owns(Arc<str>),
    Sync(Arc<str>, Arc<str>, Arc<str>),
    Scenario(String),
}

impl Key {
    fn of(item: &Item) -> Key {
        match item {
            Item::Use(u) => Key::Use(u.span),
            Item::Engine(_) => Key::Engine,
            Item::App(a) => Key::App(a.name.node.clone()),
            Item::Workflow(w) => match &w.name {
                Some(name) => Key::Workflow(name.node.clone()),
                None => Key::OneLiner(w.span),
            },
            Item::Owns(o) => Key::Owns(o.entity.node.clone()),
            Item::Sync(s) => Key::Sync(
                s.entity.node.clone(),
                s.left.node.clone(),
                s.right.node.clone(),
            ),
            Item::Scenario(s) => Key::Scenario(s.name.node.clone()),
        }
    }

    /// `app \`Calendar\``, for messages.
    fn describe(&self, item: &Item, sources: &SourceMap) -> String {
        match self {
            Key::Use(_) => "a `use`".into(),
            Key::Engine => "the engine label".into(),
            Key::App(name) => format!("app `{name}`"),
            Key::Workflow(name) => format!("workflow `{name}`"),
            Key::OneLiner(span) => format!("the one-liner `line {}`", sources.line_of(*span)),
            Key::Owns(entity) => match item {
                Item::Owns(o) => format!("`{} owns {entity}`", o.app.node),
                _ => format!("the owner of `{entity}`"),
            },
            Key::Sync(entity, a, b) => format!("the sync of `{entity}` between `{a}` and `{b}`"),
            Key::Scenario(name) => format!("scenario {name:?}"),
        }
    }
}

pub struct Session {
    sources: SourceMap,
    next_line: usize,
    items: Vec<(Key, Item)>,
    program: Arc<Program>,
    engine: Engine,
    options: Options,
    /// The trace of each change typed, newest last, for `:trace`.
    traces: Vec<Vec<run::trace::TraceItem>>,
    /// Open apps already announced, so that the note comes once per app.
    announced: BTreeSet<Arc<str>>,
    /// Off: loops and other flow errors are shown as warnings and the item is added anyway.
    flow_checks: bool,
    /// The user steps run so far, each wrapped in a scenario: checked with every later item,
    /// so that the apps, entities and fields they brought in (open apps) stay.
    steps: Vec<Item>,
    /// Warnings already shown, so that adding an item does not repeat those of the others.
    shown: std::collections::HashSet<String>,
    colour: bool,
    /// An entry with a syntax error that left blocks open, and the lines typed since: they
    /// are the rest of that block, skipped until its brackets close, so that its `}` is not
    /// taken as a new entry and reported again.
    skipping: Option<String>,
    /// A `# weir: allow …` line typed on its own, and its line number, waiting for the item
    /// it goes with.
    directive: Option<(String, usize)>,
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

impl Session {
    pub fn new() -> Session {
        let options = Options {
            trace: true,
            ..Options::default()
        };
        let program = Arc::new(check::check(&[], &SourceMap::new()).program);
        Session {
            sources: SourceMap::new(),
            next_line: 1,
            items: Vec::new(),
            engine: Engine::simulated(Arc::clone(&program), options),
            program,
            options,
            traces: Vec::new(),
            announced: BTreeSet::new(),
            flow_checks: true,
            steps: Vec::new(),
            shown: std::collections::HashSet::new(),
            colour: false,
            skipping: None,
            directive: None,
        }
    }

    /// Diagnostics in colour (for a terminal) or plain (for transcripts).
    pub fn set_colour(&mut self, colour: bool) {
        self.colour = colour;
    }

    fn render(&self, diagnostics: &[Diagnostic]) -> String {
        if self.colour {
            diagnostic::render_coloured(&self.sources, diagnostics)
        } else {
            diagnostic::render_plain(&self.sources, diagnostics)
        }
    }

    /// The names completion can offer.
    pub fn names(&self) -> Names {
        Names::of_program(&self.program)
    }

    /// Takes one complete input (it may span lines) and says what happened.
    pub fn eval(&mut self, input: &str) -> Reply {
        let text = input.trim_end();
        if is_blank(text) {
            // `# weir: allow CODE` on its own goes with the next item typed, as it would
            // above that item in a file.
            if text.contains("weir: allow") {
                self.directive = Some((text.to_string(), self.next_line));
                self.next_line += text.lines().count().max(1);
                return reply("noted: it applies to the next workflow or sync entered\n".into());
            }
            return Reply::default();
        }
        if text.trim_start().starts_with(':') {
            return match command::parse(text) {
                Ok(command) => self.command(command),
                Err(CommandError(message)) => reply(format!("error: {message}\n")),
            };
        }
        if let Some(skipped) = self.skip(text) {
            return skipped;
        }
        let (text, first_line) = match self.directive.take() {
            Some((directive, line)) => (format!("{directive}\n{text}"), line),
            None => (text.to_string(), self.next_line),
        };
        let file = self
            .sources
            .add_at_line(crate::source::REPL, text, first_line);
        self.next_line = first_line + self.sources.text(file).lines().count().max(1);
        let source = self.sources.text(file).to_string();
        match crate::syntax::parse_repl_entry(file, &source) {
            Err(err) => {
                let mut out = self.render(&[err.report()]);
                if crate::syntax::open_brackets(&source) > 0 {
                    out.push_str("the lines up to the `}` that closes this block are skipped\n");
                    self.skipping = Some(source);
                }
                reply(out)
            }
            Ok(ReplEntry::Item(item)) => reply(self.add(vec![item])),
            Ok(ReplEntry::Step(step)) => reply(self.step(step)),
            Ok(ReplEntry::Expr(e)) => reply(self.expression(&e)),
        }
    }

    /// Skips a line of a block whose start had a syntax error, until the block's brackets
    /// close; a line that starts a new item ends the skipping and is read as usual.
    fn skip(&mut self, text: &str) -> Option<Reply> {
        let mut skipped = self.skipping.take()?;
        let first = text.split_whitespace().next().unwrap_or_default();
        if crate::words::has_role(first, &[crate::words::Role::Item])
            && !text.starts_with(char::is_whitespace)
        {
            return None;
        }
        self.next_line += text.lines().count().max(1);
        skipped.push('\n');
        skipped.push_str(text);
        if crate::syntax::open_brackets(&skipped) > 0 {
            self.skipping = Some(skipped);
            Some(reply(
                "skipped: still inside the block with the error above\n".into(),
            ))
        } else {
            Some(reply(
                "skipped: the end of the block with the error above\n".into(),
            ))
        }
    }

    /// Checks the session with `added` in it; keeps the result only if it has no errors.
    fn add(&mut self, added: Vec<Item>) -> String {
        let (added, unreadable) = self.read_uses(added);
        if !unreadable.is_empty() {
            let mut out = self.render(&unreadable);
            out.push_str("nothing was added: fix the error above and enter it again\n");
            return out;
        }
        let mut items = self.items.clone();
        let mut said = Vec::new();
        for item in added {
            let key = Key::of(&item);
            let what = key.describe(&item, &self.sources);
            match items.iter().position(|(k, _)| *k == key) {
                Some(i) => {
                    items[i] = (key, item);
                    said.push(format!("replaced {what} (it was defined before)"));
                }
                None => {
                    items.push((key, item));
                    said.push(format!("added {what}"));
                }
            }
        }
        let steps = self.steps.clone();
        let (mut checked, mut diagnostics) = self.check_items(&items, &steps, true);
        let step_files: Vec<usize> = steps.iter().map(|s| s.span().file).collect();
        let only_in_steps = diagnostics
            .iter()
            .filter(|d| diagnostic::is_error(d))
            .all(|d| {
                d.labels
                    .iter()
                    .filter(|l| l.style == codespan_reporting::diagnostic::LabelStyle::Primary)
                    .all(|l| step_files.contains(&l.file_id))
            });
        if diagnostic::has_errors(&diagnostics) && only_in_steps {
            // The new definitions no longer fit what was done before; they win.
            (checked, diagnostics) = self.check_items(&items, &[], true);
            if !diagnostic::has_errors(&diagnostics) {
                self.steps.clear();
            }
        }
        if diagnostic::has_errors(&diagnostics) {
            // What was typed before as user steps is history: only the definitions matter.
            diagnostics.retain(|d| {
                !d.labels.iter().any(|l| {
                    l.style == codespan_reporting::diagnostic::LabelStyle::Primary
                        && step_files.contains(&l.file_id)
                })
            });
            let mut out = self.render(&diagnostics);
            let replaced = said.iter().any(|s| s.starts_with("replaced "));
            out.push_str(if replaced {
                "nothing was changed: the new definition does not fit with the rest (see above); fix it and enter it again\n"
            } else {
                "nothing was added: fix the error above and enter it again\n"
            });
            return out;
        }
        // Warnings about what was there before were shown when it was added.
        let fresh: Vec<Diagnostic> = diagnostics
            .into_iter()
            .filter(|d| self.shown.insert(fingerprint(d)))
            .collect();
        let mut out = self.render(&fresh);
        let program = Arc::new(checked);
        out.push_str(&self.adopt(program));
        self.items = items;
        for line in said {
            let _ = writeln!(out, "{line}");
        }
        out
    }

    /// Replaces each `use` among `added` by the items of the files it reads (a path is read from
    /// the current folder, or from the folder of the file `:load` read), with what could not be
    /// read or parsed.
    fn read_uses(&mut self, added: Vec<Item>) -> (Vec<Item>, Vec<Diagnostic>) {
        let (uses, mut items): (Vec<Item>, Vec<Item>) = added
            .into_iter()
            .partition(|item| matches!(item, Item::Use(_)));
        if uses.is_empty() {
            return (items, Vec::new());
        }
        let given = uses.len();
        let mut scripts: Vec<Script> = uses
            .into_iter()
            .map(|item| Script {
                file: item.span().file,
                items: vec![item],
            })
            .collect();
        let mut diagnostics = Vec::new();
        crate::uses::Follower::new(&mut self.sources).follow(&mut scripts, &mut diagnostics);
        items.extend(
            scripts
                .into_iter()
                .skip(given)
                .flat_map(|script| script.items)
                .filter(|item| !matches!(item, Item::Use(_))),
        );
        (items, diagnostics)
    }

    /// Checks items (and a scenario wrapped around a step, if given): the program and what to
    /// show. Only open apps not mentioned before get the note.
    fn check_items(
        &mut self,
        items: &[(Key, Item)],
        extra: &[Item],
        with_flow: bool,
    ) -> (Program, Vec<Diagnostic>) {
        let scripts: Vec<Script> = items
            .iter()
            .map(|(_, item)| item.clone())
            .chain(extra.iter().cloned())
            .map(|item| Script {
                file: item.span().file,
                items: vec![item],
            })
            .collect();
        let flow = match (with_flow, self.flow_checks) {
            (false, _) => check::FlowProofs::Skipped,
            (true, true) => check::FlowProofs::Enforced,
            (true, false) => check::FlowProofs::Warned,
        };
        let options = check::Options {
            announced: Some(&self.announced),
            flow,
        };
        let stages = check::stages_with(&scripts, &self.sources, &[], &options);
        let diagnostics = stages.applied.diagnostics;
        if !diagnostic::has_errors(&diagnostics) {
            for problem in &stages.checked.problems {
                if let CheckError::OpenApps { apps } = problem {
                    self.announced.extend(apps.iter().map(|a| a.text.clone()));
                }
            }
        }
        (stages.checked.program, diagnostics)
    }

    /// Goes on with a new program: the records stay where the apps and entities still fit
    /// (anything else is said).
    fn adopt(&mut self, program: Arc<Program>) -> String {
        let mut note = String::new();
        if extends(&self.program, &program) {
            self.engine.replace_program(Arc::clone(&program));
        } else {
            let saved = run::state::save(&self.engine);
            // The clock keeps its time across a rebuilt engine.
            let options = Options {
                now: self.engine.now(),
                ..self.options
            };
            let mut engine = Engine::simulated(Arc::clone(&program), options);
            if let Err(err) = run::state::load(&mut engine, &saved) {
                engine = Engine::simulated(Arc::clone(&program), options);
                let why = match &err {
                    run::state::StateError::Record { problem, .. } => problem.to_string(),
                    other => other.to_string(),
                };
                let _ = writeln!(
                    note,
                    "the records were cleared, because they no longer fit the new definitions ({why})"
                );
            }
            self.engine = engine;
        }
        self.program = program;
        note
    }

    fn step(&mut self, step: ast::ScenarioStep) -> String {
        let span = step.span;
        let wrapper = Item::Scenario(ast::Scenario {
            name: crate::span::Spanned::new(format!("step {}", self.steps.len() + 1), span),
            at: None,
            steps: vec![step],
            span,
        });
        let items = self.items.clone();
        let mut extra = self.steps.clone();
        extra.push(wrapper.clone());
        let (checked, diagnostics) = self.check_items(&items, &extra, false);
        let mut out = self.render(&diagnostics);
        if diagnostic::has_errors(&diagnostics) {
            return out;
        }
        let Some(step) = checked
            .scenarios
            .last()
            .and_then(|s| s.steps.first())
            .cloned()
        else {
            return out;
        };
        out.push_str(&self.adopt(Arc::new(checked)));
        self.steps.push(wrapper);
        let report = run::scenario::step(&mut self.engine, &step);
        let program = Arc::clone(&self.program);
        if !report.trace.is_empty() {
            run::trace::human(&program, &self.sources, &report.trace, &mut out);
        }
        for failure in &report.failures {
            out.push_str(&self.render(&[failure.report()]));
        }
        let is_expect = matches!(
            step.kind,
            crate::program::ScenarioStepKind::ExpectCount { .. }
                | crate::program::ScenarioStepKind::ExpectRuns { .. }
                | crate::program::ScenarioStepKind::ExpectNotified(_)
                | crate::program::ScenarioStepKind::ExpectLoop(_)
        );
        match &report.mismatch {
            Some(mismatch) => {
                let _ = write!(out, "{}", if is_expect { "FAILED " } else { "refused: " });
                out.push_str(&mismatch.explain(&program, &self.sources));
            }
            None if is_expect => out.push_str("ok\n"),
            None if matches!(
                step.kind,
                crate::program::ScenarioStepKind::At(_)
                    | crate::program::ScenarioStepKind::Advance(_)
            ) =>
            {
                out.push_str(&self.clock_reads());
            }
            None if report.trace.is_empty() => {
                if let crate::program::ScenarioStepKind::UserUpdates { entity, app, .. }
                | crate::program::ScenarioStepKind::UserDeletes { entity, app, .. } = &step.kind
                {
                    let _ = writeln!(
                        out,
                        "no {} in {} matched the condition: nothing changed",
                        program.entity(*entity).name,
                        program.app(*app).name
                    );
                }
            }
            None => {}
        }
        if !report.trace.is_empty() {
            self.traces.push(report.trace);
        }
        out
    }

    fn expression(&mut self, e: &ast::Expr) -> String {
        let (checked, problems) = check::check_expression(&self.program, &self.sources, e);
        let diagnostics: Vec<Diagnostic> = problems.iter().map(Report::report).collect();
        if diagnostic::has_errors(&diagnostics) {
            return self.render(&diagnostics);
        }
        let scope = run::eval::Scope::constant(&self.program, self.engine.now());
        match run::eval::eval(&checked, &scope) {
            Ok(value) => format!("{value} : {}\n", checked.ty),
            Err(err) => self.render(&[err.report()]),
        }
    }

    /// `:check`: everything added so far, checked again, with every warning shown again.
    fn check_command(&mut self) -> String {
        let items = self.items.clone();
        let announced = std::mem::take(&mut self.announced);
        let steps = self.steps.clone();
        let (_, diagnostics) = self.check_items(&items, &steps, true);
        self.announced = announced;
        let mut out = self.render(&diagnostics);
        if !diagnostics
            .iter()
            .any(|d| diagnostic::is_error(d) || diagnostic::is_warning(d))
        {
            let p = &self.program;
            let _ = writeln!(
                out,
                "no problems: {} app(s), {} workflow(s), {} sync(s)",
                p.apps.len(),
                p.workflows.len(),
                p.syncs.len()
            );
        }
        out
    }

    /// `:trace N`: the last `n` traces.
    fn traces_shown(&self, n: usize) -> String {
        if self.traces.is_empty() {
            return "nothing has run yet: type a user step such as `user creates …`\n".to_string();
        }
        let mut out = String::new();
        let start = self.traces.len().saturating_sub(n);
        for trace in &self.traces[start..] {
            run::trace::human(&self.program, &self.sources, trace, &mut out);
        }
        out
    }

    /// `:held`: the chains the run-time guard held.
    fn held_shown(&self) -> String {
        let held = self.engine.held();
        if held.is_empty() {
            return "no chain has been held\n".to_string();
        }
        let diagnostics: Vec<Diagnostic> = held
            .iter()
            .map(|h| {
                run::guard::HeldChain {
                    program: &self.program,
                    held: h,
                }
                .report_in(run::guard::Surface::Repl)
            })
            .collect();
        self.render(&diagnostics)
    }

    fn command(&mut self, command: Command) -> Reply {
        let text = match command {
            Command::Help => command::help(),
            Command::Quit => {
                return Reply {
                    text: String::new(),
                    quit: true,
                };
            }
            Command::Load(path) => self.load(&path),
            Command::Check => self.check_command(),
            Command::Graph(format) => {
                let view = crate::flow::render::View::new(&self.program);
                match format {
                    GraphFormat::Text => view.text(&self.sources),
                    GraphFormat::Dot => view.dot(),
                    GraphFormat::Mermaid => view.mermaid(),
                }
            }
            Command::Show(what) => super::show::show(&self.program, &self.engine, what.as_deref()),
            Command::Workflows => super::show::workflows(&self.program),
            Command::Trace(n) => self.traces_shown(n.unwrap_or(1)),
            Command::Held => self.held_shown(),
            Command::Explain(code) => explain(&code),
            Command::SetMaxHops(n) => {
                self.options.max_hops = n;
                self.engine.set_options(Options {
                    now: self.engine.now(),
                    ..self.options
                });
                format!(
                    "the run-time guard now holds a chain after {n} hop{}\n",
                    if n == 1 { "" } else { "s" }
                )
            }
            Command::SetChecks(on) => {
                self.flow_checks = on;
                if on {
                    "checks are on: an item that could loop or break one-way flow is refused\n"
                        .to_string()
                } else {
                    "checks are off: an item that could loop is added with a warning, and only the run-time guard stops the loop\n".to_string()
                }
            }
            Command::At(None) => self.clock_reads(),
            // The same as typing the step, so that it is checked and numbered like one.
            Command::At(Some(time)) => return self.eval(&format!("at {time}")),
            Command::Advance(by) => return self.eval(&format!("advance {by}")),
            Command::Reset => {
                *self = Session {
                    colour: self.colour,
                    ..Session::new()
                };
                "everything was forgotten: no apps, no workflows, no records\n".to_string()
            }
        };
        reply(text)
    }

    fn clock_reads(&self) -> String {
        format!(
            "the clock reads {}\n",
            crate::value::format_rfc3339(self.engine.now())
        )
    }

    fn load(&mut self, path: &str) -> String {
        let text = match crate::load::read_text(path) {
            Ok(text) => text,
            Err(err) => return format!("error: {err}\n"),
        };
        let file = self.sources.add(path.to_string(), text.clone());
        match crate::syntax::parse_script(file, &text) {
            Err(err) => self.render(&[err.report()]),
            Ok(script) => {
                let count = script.items.len();
                let out = self.add(script.items);
                let lines: Vec<&str> = out.lines().collect();
                // One line for the whole file rather than one per item.
                let added = lines
                    .iter()
                    .filter(|l| l.starts_with("added ") || l.starts_with("replaced "))
                    .count();
                if added == count && count > 0 {
                    let mut kept: String = lines
                        .iter()
                        .filter(|l| !(l.starts_with("added ") || l.starts_with("replaced ")))
                        .map(|l| format!("{l}\n"))
                        .collect();
                    let replaced = lines.iter().filter(|l| l.starts_with("replaced ")).count();
                    if replaced > 0 {
                        let _ = writeln!(
                            kept,
                            "loaded {path}: {count} item(s), {replaced} of them replacing earlier ones"
                        );
                    } else {
                        let _ = writeln!(kept, "loaded {path}: {count} item(s)");
                    }
                    kept
                } else {
                    out
                }
            }
        }
    }
}

/// What identifies a diagnostic across checks: its code, message and places.
fn fingerprint(d: &Diagnostic) -> String {
    let places: Vec<String> = d
        .labels
        .iter()
        .map(|l| format!("{}:{:?}", l.file_id, l.range))
        .collect();
    format!("{:?} {} {}", d.code, d.message, places.join(","))
}

/// `:explain CODE`: the code's page, or the codes there are.
fn explain(code: &str) -> String {
    let Some(found) = Code::parse(code) else {
        let known = Code::ALL.iter().map(|c| c.as_str());
        let hint = crate::suggest::closest(&code.to_ascii_uppercase(), known)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        return format!(
            "error: there is no code `{code}`{hint}; the codes are {}\n",
            all.join(", ")
        );
    };
    found.page().to_string()
}

fn reply(text: String) -> Reply {
    Reply { text, quit: false }
}

/// Nothing but white space and comments.
fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    })
}

/// Whether `new` keeps every app, entity and field of `old` at the same index (it may add more).
fn extends(old: &Program, new: &Program) -> bool {
    old.apps.len() <= new.apps.len()
        && old.entities.len() <= new.entities.len()
        && old
            .apps
            .iter()
            .zip(&new.apps)
            .all(|(a, b)| a.name == b.name)
        && old.entities.iter().zip(&new.entities).all(|(a, b)| {
            a.name == b.name
                && a.app == b.app
                && a.fields.len() <= b.fields.len()
                && a.fields
                    .iter()
                    .zip(&b.fields)
                    .all(|(f, g)| f.name == g.name && f.ty == g.ty)
        })
}
