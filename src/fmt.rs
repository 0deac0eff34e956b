//! `weir fmt`: a script in the canonical layout, comments kept.
//!
//! The layout: two-space indentation; one item, step, field or mapping per line; a blank line
//! between blocks; entities and field blocks on one line when they fit in 100 columns; the
//! fewest parentheses that keep the meaning. Comments stay where they were, before the line
//! they preceded or at the end of the line they followed (the syntax's scanner finds them, so
//! a `#` in a text is never taken for one). Formatting never changes what a script means:
//! `parse(fmt(x)) == parse(x)`.
//!
//! ```text
//! workflow w{on new event in A
//!     create  in B}                  # becomes:
//! workflow w {
//!   on new event in A
//!   create in B
//! }
//! ```

mod http;
mod records;
mod webhooks;
#[cfg(test)]
mod words;

use std::fmt::Write as _;

use crate::ast::*;
use crate::span::{Span, Spanned};
use crate::syntax::scan::Kind;

const WIDTH: usize = 100;

/// What an app declares, in the order written.
enum Member<'a> {
    Entity(&'a EntityDecl),
    Http(&'a HttpDecl),
    Call(&'a CallDecl),
    Webhooks(&'a WebhooksDecl),
    Poll(&'a PollDecl),
}

/// A comment in the source: where it starts, its text (with `#`), and whether code stands
/// before it on its line.
#[derive(Clone, Debug)]
struct Comment {
    at: usize,
    text: String,
    trailing: bool,
}

fn comments_of(source: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut line_has_code = false;
    for token in crate::syntax::scan::tokens(source) {
        match token.kind {
            Kind::Comment => out.push(Comment {
                at: token.start,
                text: source[token.start..token.end].trim_end().to_string(),
                trailing: line_has_code,
            }),
            Kind::LineEnd => line_has_code = false,
            Kind::Space => {}
            _ => line_has_code = true,
        }
    }
    out
}

struct Printer<'a> {
    source: &'a str,
    comments: Vec<Comment>,
    next: usize,
    out: String,
    indent: usize,
    /// The last line printed was a comment.
    after_comment: bool,
    /// Where each one-liner ends up: its line in the source, then in the output. Scenarios name
    /// one-liners by line (`expect runs of line 12`), so those names follow them.
    one_liners: Vec<(u32, u32)>,
    renumber: std::collections::HashMap<u32, u32>,
}

/// Formats a parsed script; `source` is its text, for the comments.
pub fn format(script: &Script, source: &str) -> String {
    // Comments are found by scanning lines; a lone `\r` ends one as `\n` does. The text keeps
    // its length, so the script's spans still point into it.
    let source = &*crate::source::normalize_line_ends(source);
    let first = print(script, source, std::collections::HashMap::new());
    let moved: std::collections::HashMap<u32, u32> = first
        .one_liners
        .iter()
        .copied()
        .filter(|(a, b)| a != b)
        .collect();
    if moved.is_empty() {
        return first.out;
    }
    print(script, source, moved).out
}

fn print<'a>(
    script: &Script,
    source: &'a str,
    renumber: std::collections::HashMap<u32, u32>,
) -> Printer<'a> {
    let mut p = Printer {
        source,
        comments: comments_of(source),
        next: 0,
        out: String::new(),
        indent: 0,
        after_comment: false,
        one_liners: Vec::new(),
        renumber,
    };
    let mut previous: Option<&Item> = None;
    for item in &script.items {
        let start = item.span().start as usize;
        let blank = match (previous, item) {
            (None, _) => false,
            (Some(a), b) => {
                is_block(a)
                    || is_block(b)
                    || std::mem::discriminant(a) != std::mem::discriminant(b)
                    || p.blank_line_before(start)
            }
        };
        if blank {
            p.out.push('\n');
        }
        p.comments_before(start);
        if p.after_comment && p.blank_line_before(start) && !p.out.ends_with("\n\n") {
            p.out.push('\n');
        }
        p.item(item);
        previous = Some(item);
    }
    p.comments_before(source.len() + 1);
    while p.out.ends_with("\n\n") {
        p.out.pop();
    }
    p
}

fn is_block(item: &Item) -> bool {
    match item {
        Item::App(_) | Item::Sync(_) | Item::Scenario(_) => true,
        Item::Workflow(w) => w.form == WorkflowForm::Block,
        Item::Use(_) | Item::Engine(_) | Item::Owns(_) => false,
    }
}

impl Printer<'_> {
    fn pad(&self) -> String {
        "  ".repeat(self.indent)
    }

    /// Prints the comments that stand before `at` on lines of their own.
    fn comments_before(&mut self, at: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.at >= at {
                break;
            }
            let text = c.text.clone();
            let blank_before = self.blank_line_before(c.at)
                && !self.out.is_empty()
                && !self.out.ends_with("\n\n")
                && !self.out.ends_with("{\n");
            if blank_before {
                self.out.push('\n');
            }
            let pad = self.pad();
            let _ = writeln!(self.out, "{pad}{text}");
            self.next += 1;
            self.after_comment = true;
        }
    }

    /// Whether the source has an empty line just before offset `at` (kept between comments).
    fn blank_line_before(&self, at: usize) -> bool {
        let head = &self.source[..at.min(self.source.len())];
        let head = head.trim_end_matches([' ', '\t']);
        head.ends_with("\n\n") || head.ends_with("\n\r\n")
    }

    /// Ends a line whose code ended at `end`, with the comment that followed it there.
    fn end_line(&mut self, end: usize) {
        self.end_line_from(end, end);
    }

    /// Ends a line printed from the source `start..end`: comments written inside that stretch
    /// (a one-liner spread over lines) and the one after it on its last line end the line.
    fn end_line_from(&mut self, start: usize, end: usize) {
        while let Some(c) = self.comments.get(self.next)
            && c.at >= start
            && c.at < end
        {
            let _ = write!(self.out, "  {}", c.text);
            self.next += 1;
        }
        let line_end = self.source[end.min(self.source.len())..]
            .find('\n')
            .map_or(self.source.len(), |n| end + n);
        // Only a comment with nothing but space (or a comma) between it and this line's code.
        if let Some(c) = self.comments.get(self.next)
            && c.trailing
            && c.at >= end
            && c.at <= line_end
            && self.source[end..c.at]
                .trim_matches(|ch: char| ch.is_whitespace() || ch == ',')
                .is_empty()
        {
            let _ = write!(self.out, "  {}", c.text);
            self.next += 1;
        }
        self.out.push('\n');
    }

    fn line(&mut self, text: &str, span: Span) {
        self.comments_before(span.start as usize);
        if self.after_comment
            && self.blank_line_before(span.start as usize)
            && !self.out.ends_with("\n\n")
        {
            self.out.push('\n');
        }
        self.after_comment = false;
        let pad = self.pad();
        let _ = write!(self.out, "{pad}{text}");
        self.end_line_from(span.start as usize, span.end as usize);
    }

    /// A step that ends in a field block: on one line when it fits, else one field a line.
    /// `block` is the step without its field block, and the fields.
    fn step_line(&mut self, text: &str, block: Option<(String, &[FieldInit])>, span: Span) {
        let fits = self.pad().len() + text.len() <= WIDTH;
        let Some((head, fields)) =
            block.filter(|(_, f)| (!fits || self.has_comment_within(span)) && !f.is_empty())
        else {
            self.line(text, span);
            return;
        };
        self.line(
            &format!("{head} {{"),
            Span {
                end: span.start,
                ..span
            },
        );
        self.indent += 1;
        for field in fields {
            self.line(
                &format!("{}: {}", field.name.node, expr(&field.value)),
                field.name.span.to(field.value.span),
            );
        }
        self.indent -= 1;
        self.close(span);
    }

    /// The closing brace of a block whose span is `span`.
    fn close(&mut self, span: Span) {
        self.close_open(span, "", span.end as usize);
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Use(u) => {
                let named = match &u.target {
                    UseTarget::File(path) => quote(&path.node),
                    UseTarget::Connector(name) => name.node.to_string(),
                };
                self.line(&format!("use {named}{}", http::moved(&u.moved)), u.span)
            }
            Item::Engine(e) => self.line(&format!("engine {}", e.label.node), e.span),
            Item::Owns(o) => self.line(&format!("{} owns {}", o.app.node, o.entity.node), o.span),
            Item::App(app) => self.app(app),
            Item::Workflow(w) => self.workflow(w),
            Item::Sync(s) => self.sync(s),
            Item::Scenario(s) => self.scenario(s),
        }
    }

    fn app(&mut self, app: &AppDecl) {
        let mut head = format!("app {}", app.name.node);
        if let Some(location) = &app.location {
            let room = WIDTH.saturating_sub(head.len() + 2);
            head.push_str(&http::location(location, room));
        }
        head.push_str(" {");
        self.line(&head, app.name.span);
        self.indent += 1;
        self.capabilities(&app.capabilities);
        // Entities and mappings in the order they were written, so comments stay with them.
        let mut members: Vec<(Span, Member)> = app
            .entities
            .iter()
            .map(|e| (e.span, Member::Entity(e)))
            .chain(app.http.iter().map(|h| (h.span, Member::Http(h))))
            .chain(app.calls.iter().map(|c| (c.span, Member::Call(c))))
            .chain(app.webhooks.iter().map(|w| (w.span, Member::Webhooks(w))))
            .chain(app.polls.iter().map(|p| (p.span, Member::Poll(p))))
            .collect();
        members.sort_by_key(|(span, _)| span.start);
        let mut after_call = false;
        for (_, member) in members {
            match member {
                Member::Entity(entity) => self.entity(entity),
                Member::Http(mapping) => self.http_block(mapping),
                Member::Webhooks(hooks) => self.webhooks_block(hooks),
                Member::Poll(poll) => self.line(&webhooks::poll(poll), poll.span),
                Member::Call(call) => {
                    if !after_call && !self.out.ends_with("{\n") && !self.out.ends_with("\n\n") {
                        self.out.push('\n');
                    }
                    self.line(&http::call_decl(call), call.span);
                }
            }
            after_call = matches!(member, Member::Call(_));
        }
        self.indent -= 1;
        self.close(app.span);
    }

    /// An app's `reports`, `emits` and `limit` lines, each once, first of its members.
    fn capabilities(&mut self, capabilities: &[Capability]) {
        let mut reports = Vec::new();
        let mut first_report: Option<Span> = None;
        for capability in capabilities {
            match capability {
                Capability::ReportsActor(span) => {
                    reports.push("actor");
                    first_report.get_or_insert(*span);
                }
                Capability::ReportsChanges(span) => {
                    reports.push("changes");
                    first_report.get_or_insert(*span);
                }
                Capability::Emits(_) | Capability::PerSecond(_) | Capability::AtOnce(_) => {}
            }
        }
        if let Some(span) = first_report {
            self.line(&format!("reports {}", reports.join(", ")), span);
        }
        let kinds: Vec<&Spanned<EventKind>> = capabilities
            .iter()
            .flat_map(|c| match c {
                Capability::Emits(kinds) => kinds.iter().collect(),
                _ => Vec::new(),
            })
            .collect();
        if let (Some(first), Some(last)) = (kinds.first(), kinds.last()) {
            let words: Vec<&str> = kinds.iter().map(|k| k.node.keyword()).collect();
            self.line(
                &format!("emits {}", words.join(", ")),
                first.span.to(last.span),
            );
        }
        let limits: Vec<(String, Span)> = capabilities
            .iter()
            .filter_map(|c| match c {
                Capability::PerSecond(n) => Some((format!("{} per second", n.node), n.span)),
                Capability::AtOnce(n) => Some((format!("at most {} at once", n.node), n.span)),
                _ => None,
            })
            .collect();
        if let (Some(first), Some(last)) = (limits.first(), limits.last()) {
            let words: Vec<&str> = limits.iter().map(|(w, _)| w.as_str()).collect();
            self.line(&format!("limit {}", words.join(", ")), first.1.to(last.1));
        }
    }

    fn http_block(&mut self, mapping: &HttpDecl) {
        if !self.out.ends_with("{\n") && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
        self.line(
            &format!("http {} {{", mapping.entity.node),
            mapping.entity.span,
        );
        self.indent += 1;
        for member in &mapping.members {
            self.line(&http::member(&member.node), member.span);
        }
        self.indent -= 1;
        self.close(mapping.span);
    }

    fn webhooks_block(&mut self, hooks: &WebhooksDecl) {
        if !self.out.ends_with("{\n") && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
        self.line(&webhooks::head(hooks), hooks.path.span);
        self.indent += 1;
        for member in &hooks.members {
            self.line(&webhooks::member(&member.node), member.span);
        }
        self.indent -= 1;
        self.close(hooks.span);
    }

    fn entity(&mut self, entity: &EntityDecl) {
        let fields: Vec<String> = entity.fields.iter().map(http::field).collect();
        let one_line = format!("{} {{ {} }}", entity.name.node, fields.join(", "));
        let inner_comments = self.has_comment_within(entity.span);
        if !inner_comments && self.pad().len() + one_line.len() <= WIDTH {
            self.line(&one_line, entity.span);
            return;
        }
        self.line(&format!("{} {{", entity.name.node), entity.name.span);
        self.indent += 1;
        for (field, text) in entity.fields.iter().zip(&fields) {
            self.entity_field(field, text);
        }
        self.indent -= 1;
        self.close(entity.span);
    }

    fn has_comment_within(&self, span: Span) -> bool {
        self.comments[self.next..]
            .iter()
            .any(|c| c.at >= span.start as usize && c.at < span.end as usize)
    }

    fn workflow(&mut self, w: &Workflow) {
        if w.form == WorkflowForm::OneLine {
            let mut steps = w.steps.iter().peekable();
            let guard = match steps.peek().map(|s| &s.kind) {
                Some(StepKind::Unless(c)) => {
                    steps.next();
                    Some(c)
                }
                _ => None,
            };
            let actions: Vec<String> = steps
                .map(|s| match &s.kind {
                    StepKind::Action(a) => action(a),
                    other => unreachable!("expected an action in a one-liner, found {other:?}"),
                })
                .collect();
            let mut text = format!("{} do {}", trigger(&w.trigger), actions.join(", "));
            if let Some(guard) = guard {
                let _ = write!(text, " unless {}", expr(guard));
            }
            let source_line = self.source[..w.span.start as usize].matches('\n').count() as u32 + 1;
            self.line(&text, w.span);
            let output_line = self.out.trim_end_matches('\n').matches('\n').count() as u32 + 1;
            self.one_liners.push((source_line, output_line));
            return;
        }
        let name = w
            .name
            .as_ref()
            .map(|n| n.node.to_string())
            .unwrap_or_default();
        let head_span = w.name.as_ref().map_or(w.span, |n| n.span);
        self.line(&format!("workflow {name} {{"), head_span);
        self.indent += 1;
        self.line(&trigger(&w.trigger), w.trigger.span);
        self.steps(&w.steps);
        self.indent -= 1;
        self.close(w.span);
    }

    fn steps(&mut self, steps: &[Step]) {
        for step in steps {
            let text = match &step.kind {
                StepKind::Unless(c) => format!("unless {}", expr(c)),
                StepKind::ContinueIf(c) => format!("continue if {}", expr(c)),
                StepKind::Let(name, value) => format!("let {} = {}", name.node, expr(value)),
                StepKind::Lookup(name, lookup) => {
                    self.lookup(name, lookup, step.span);
                    continue;
                }
                StepKind::Bind(name, a) => format!("let {} = {}", name.node, action(a)),
                StepKind::Action(a) => action(a),
                StepKind::Call(name, call) => http::call_use(name.as_ref(), call, field_block),
                StepKind::Branch(branch) => {
                    self.branch(branch);
                    continue;
                }
                StepKind::For(each) => {
                    self.for_each(each, step.span);
                    continue;
                }
                StepKind::Wait(length) => format!("wait {}", length.node),
            };
            let block = match &step.kind {
                StepKind::Action(a) => action_block(a),
                StepKind::Bind(name, a) => action_block(a)
                    .map(|(head, fields)| (format!("let {} = {head}", name.node), fields)),
                StepKind::Call(name, call) if !call.fields.is_empty() => Some((
                    http::call_use(
                        name.as_ref(),
                        &CallUse {
                            fields: Vec::new(),
                            ..call.clone()
                        },
                        |_| String::new(),
                    )
                    .trim_end()
                    .to_string(),
                    &call.fields[..],
                )),
                _ => None,
            };
            // A limited action stays on one line, its limit after it. The step's span is the
            // action's alone, so the line ends where the limit does: a comment after the limit
            // stays on it.
            let (text, block, span) = match &step.limit {
                Some(limit) => (
                    format!("{text}{}", limit_text(limit)),
                    None,
                    step.span.to(limit.span),
                ),
                None => (text, block, step.span),
            };
            self.step_line(&text, block, span);
        }
    }

    /// `let NAME = find …`: on one line when it fits, else its `where` on the next.
    fn lookup(&mut self, name: &Name, lookup: &Lookup, span: Span) {
        let text = format!("let {} = {}", name.node, lookup_text(lookup, true));
        let Some(condition) = lookup
            .condition
            .as_ref()
            .filter(|_| self.pad().len() + text.len() > WIDTH)
        else {
            self.line(&text, span);
            return;
        };
        let head = format!("let {} = {}", name.node, lookup_text(lookup, false));
        let split = condition.span.start;
        self.line(&head, Span { end: split, ..span });
        self.indent += 1;
        let mut rest = format!("where {}", expr(condition));
        rest.push_str(&order_text(lookup));
        self.line(
            &rest,
            Span {
                start: split,
                ..span
            },
        );
        self.indent -= 1;
    }

    /// `if C {`, its steps, `} else if C {`, …, `} else {`, …, `}`: one arm's head on the
    /// line that closes the arm above it.
    fn branch(&mut self, branch: &Branch) {
        let mut above: Option<&Block> = None;
        let arms = branch
            .arms
            .iter()
            .map(|arm| (Some(&arm.condition), &arm.block))
            .chain(branch.otherwise.iter().map(|block| (None, block)));
        for (condition, block) in arms {
            let head = match condition {
                Some(c) => format!("if {} {{", expr(c)),
                None => "{".to_string(),
            };
            let open_end = block.span.start as usize + 1;
            match above {
                None => {
                    let start = condition.map_or(block.span.start, |c| c.span.start);
                    self.line(
                        &head,
                        Span {
                            start,
                            end: open_end as u32,
                            ..block.span
                        },
                    );
                }
                Some(previous) => {
                    self.close_open(previous.span, &format!(" else {head}"), open_end);
                }
            }
            self.indent += 1;
            self.steps(&block.steps);
            self.indent -= 1;
            above = Some(block);
        }
        if let Some(last) = above {
            self.close(last.span);
        }
    }

    /// `for NAME in LIST {`, its steps one level in, and `}`.
    fn for_each(&mut self, each: &ForEach, span: Span) {
        let head = format!("for {} in {} {{", each.item.node, expr(&each.list));
        let end = each.block.span.start + 1;
        self.line(&head, Span { end, ..span });
        self.indent += 1;
        self.steps(&each.block.steps);
        self.indent -= 1;
        self.close(each.block.span);
    }

    /// `}` closing a block, then more on its line (`} else {`), ending at `end` in the source.
    fn close_open(&mut self, span: Span, rest: &str, end: usize) {
        self.indent += 1;
        self.comments_before((span.end as usize).saturating_sub(1));
        self.after_comment = false;
        self.indent -= 1;
        let pad = self.pad();
        let _ = write!(self.out, "{pad}}}{rest}");
        self.end_line(end);
    }

    fn sync(&mut self, s: &SyncDecl) {
        let matching = s.matching.as_ref().map(|m| format!(" match {m}"));
        let name = s.name.as_ref().map(|n| format!(" as {}", n.node));
        self.line(
            &format!(
                "sync {}{}{} {{",
                s.sides(),
                name.unwrap_or_default(),
                matching.unwrap_or_default()
            ),
            s.entity.span,
        );
        self.indent += 1;
        for m in &s.mappings {
            let end = |end: &MapEnd| match end {
                MapEnd::Field(name) => name.node.to_string(),
                MapEnd::Computed(e) => expr(e),
            };
            let mut text = format!(
                "{} {} {}",
                end(&m.left),
                m.direction.node.symbol(),
                end(&m.right)
            );
            if let Some(map) = &m.values {
                let mut entries: Vec<String> = map
                    .pairs
                    .iter()
                    .map(|(l, r)| format!("{} = {}", expr(l), expr(r)))
                    .collect();
                entries.extend(map.otherwise.iter().map(|o| format!("else {}", expr(o))));
                text.push_str(&format!(" map {{ {} }}", entries.join(", ")));
            }
            self.line(&text, m.span());
        }
        if let Some(prefer) = &s.prefer {
            let choice = match &prefer.node {
                Prefer::App(app) => app.node.to_string(),
                Prefer::Latest => "latest".into(),
            };
            self.line(&format!("prefer {choice}"), prefer.span);
        }
        self.indent -= 1;
        self.close(s.span);
    }

    fn scenario(&mut self, s: &Scenario) {
        let mut head = format!("scenario {}", quote(&s.name.node));
        if let Some(at) = &s.at {
            let _ = write!(head, " at {}", expr(at));
        }
        head.push_str(" {");
        self.line(&head, s.name.span);
        self.indent += 1;
        self.scenario_steps(&s.steps);
        self.indent -= 1;
        self.close(s.span);
    }

    fn scenario_steps(&mut self, steps: &[ScenarioStep]) {
        for step in steps {
            if let ScenarioStepKind::Together(inner) = &step.kind {
                self.line("together {", step.span);
                self.indent += 1;
                self.scenario_steps(inner);
                self.indent -= 1;
                self.close(step.span);
                continue;
            }
            let text = self.renumbered(scenario_step(&step.kind), &step.kind);
            let block = match &step.kind {
                ScenarioStepKind::UserCreates {
                    entity,
                    app,
                    fields,
                } => Some((
                    format!("user creates {} in {}", entity.node, app.node),
                    fields.as_slice(),
                )),
                ScenarioStepKind::UserUpdates {
                    entity,
                    app,
                    condition,
                    fields,
                } => Some((
                    format!(
                        "user updates {} in {} where {}",
                        entity.node,
                        app.node,
                        expr(condition)
                    ),
                    fields.as_slice(),
                )),
                _ => None,
            };
            self.step_line(&text, block, step.span);
        }
    }
}

impl Printer<'_> {
    /// A step that names a one-liner by its line, with the line it has after formatting.
    fn renumbered(&self, text: String, step: &ScenarioStepKind) -> String {
        if let ScenarioStepKind::ExpectRuns { workflow, count } = step
            && let WorkflowRef::Line(line) = workflow.node
            && let Some(new) = self.renumber.get(&line)
        {
            return format!("expect runs of line {new} == {}", count.node);
        }
        text
    }
}

/// One scenario step (or REPL step) in canonical form.
pub fn scenario_step(step: &ScenarioStepKind) -> String {
    match step {
        ScenarioStepKind::Together(steps) => {
            let inner: Vec<String> = steps.iter().map(|s| scenario_step(&s.kind)).collect();
            format!("together {{ {} }}", inner.join("  "))
        }
        ScenarioStepKind::UserCreates {
            entity,
            app,
            fields,
        } => {
            format!(
                "user creates {} in {} {}",
                entity.node,
                app.node,
                field_block(fields)
            )
        }
        ScenarioStepKind::UserUpdates {
            entity,
            app,
            condition,
            fields,
        } => format!(
            "user updates {} in {} where {} {}",
            entity.node,
            app.node,
            expr(condition),
            field_block(fields)
        ),
        ScenarioStepKind::UserDeletes {
            entity,
            app,
            condition,
        } => {
            format!(
                "user deletes {} in {} where {}",
                entity.node,
                app.node,
                expr(condition)
            )
        }
        ScenarioStepKind::ExpectCount {
            count,
            entity,
            app,
            condition,
        } => {
            let mut text = format!(
                "expect {} {} in {}",
                count_text(count.node),
                entity.node,
                app.node
            );
            if let Some(c) = condition {
                let _ = write!(text, " where {}", expr(c));
            }
            text
        }
        ScenarioStepKind::ExpectRuns { workflow, count } => {
            format!("expect runs of {} == {}", workflow.node, count.node)
        }
        ScenarioStepKind::ExpectNotified(count) => {
            format!("expect notified {}", count_text(count.node))
        }
        ScenarioStepKind::ExpectLoop(true) => "expect loop".into(),
        ScenarioStepKind::ExpectLoop(false) => "expect no loop".into(),
        ScenarioStepKind::At(time) => format!("at {}", expr(time)),
        ScenarioStepKind::Advance(by) => format!("advance {}", expr(by)),
        ScenarioStepKind::AppWrites { app, refuses } => format!(
            "app {} {} writes",
            app.node,
            if *refuses { "refuses" } else { "takes" }
        ),
    }
}

/// An expected count as a person writes it: `no` for none, the number otherwise.
fn count_text(count: u64) -> String {
    if count == 0 {
        "no".to_string()
    } else {
        count.to_string()
    }
}

fn trigger(t: &Trigger) -> String {
    let mut text = match (&t.conflict, &t.schedule, &t.failed) {
        (Some(sync), _, _) => format!("on conflict in sync {}", sync.node),
        (None, Some(schedule), _) => format!("on {schedule}"),
        (None, None, Some(FailedRuns::Of(workflow))) => {
            format!("on failed run of {}", workflow.node)
        }
        (None, None, Some(FailedRuns::Any)) => "on failed run".to_string(),
        (None, None, None) => match &t.timer {
            Some(timer) => format!("on {timer} of {} in {}", t.entity.node, t.app.node),
            None => format!("on {} {} in {}", t.kind.node, t.entity.node, t.app.node),
        },
    };
    if !t.changing.is_empty() {
        let fields: Vec<&str> = t.changing.iter().map(|f| &*f.node).collect();
        let _ = write!(text, " changing {}", fields.join(", "));
    }
    if let Some(c) = &t.condition {
        let _ = write!(text, " where {}", expr(c));
    }
    if let Some(limit) = &t.limit {
        text.push_str(&limit_text(limit));
    }
    text
}

/// ` at most once per 1m per device`, after a trigger or an action.
fn limit_text(limit: &RateLimit) -> String {
    let mut text = format!(" at most once per {}", limit.window.node);
    if let Some(per) = &limit.per {
        let _ = write!(text, " per {}", per.node);
    }
    text
}

/// An action that ends in a field block: the text before the block, and the fields.
fn action_block(a: &Action) -> Option<(String, &[FieldInit])> {
    let text = action(a);
    let fields = match a {
        Action::Create {
            fields: Some(fields),
            ..
        }
        | Action::Update { fields, .. }
        | Action::Upsert { fields, .. } => fields,
        _ => return None,
    };
    let block = field_block(fields);
    Some((
        text[..text.len() - block.len() - 1].to_string(),
        fields.as_slice(),
    ))
}

fn action(a: &Action) -> String {
    let target = |entity: &Option<Name>, app: &Name| match entity {
        Some(e) => format!("{} in {}", e.node, app.node),
        None => format!("in {}", app.node),
    };
    let which = |t: &Target| match t {
        Target::Linked(_) => "linked".to_string(),
        Target::Where(c) => format!("where {}", expr(c)),
    };
    match a {
        Action::Create {
            entity,
            app,
            fields,
        } => match fields {
            Some(fields) => format!("create {} {}", target(entity, app), field_block(fields)),
            None => format!("create {}", target(entity, app)),
        },
        Action::Update {
            entity,
            app,
            target: t,
            fields,
        } => {
            format!(
                "update {} {} {}",
                target(entity, app),
                which(t),
                field_block(fields)
            )
        }
        Action::Delete {
            entity,
            app,
            target: t,
        } => format!("delete {} {}", target(entity, app), which(t)),
        Action::Notify { channel, message } => match channel {
            Some(c) => format!("notify {} {}", expr(c), expr(message)),
            None => format!("notify {}", expr(message)),
        },
        Action::Upsert {
            entity,
            app,
            key,
            fields,
        } => format!(
            "upsert {} in {} match {} {}",
            entity.node,
            app.node,
            key.node,
            field_block(fields)
        ),
    }
}

fn field_block(fields: &[FieldInit]) -> String {
    if fields.is_empty() {
        return "{ }".into();
    }
    let inner: Vec<String> = fields
        .iter()
        .map(|f| format!("{}: {}", f.name.node, expr(&f.value)))
        .collect();
    format!("{{ {} }}", inner.join(", "))
}

/// A text literal with every character that needs it escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How tightly an expression binds, for deciding parentheses (higher binds tighter).
fn strength(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::If(..) => 0,
        ExprKind::Binary(op, ..) => op.precedence(),
        ExprKind::Unary(UnaryOp::Not, _) => 3,
        ExprKind::Unary(UnaryOp::Neg, _) => 7,
        _ => 9,
    }
}

/// An expression in canonical form, with the parentheses its meaning needs and no others.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => crate::value::format_number(*n),
        ExprKind::Duration(d) => format!("{}{}", d.amount, d.unit.suffix()),
        ExprKind::Text(parts) => {
            let mut out = String::from("\"");
            for part in parts {
                match part {
                    TextPart::Literal(text) => {
                        let quoted = quote(text);
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    }
                    TextPart::Interpolation(inner) => {
                        let _ = write!(out, "{{{}}}", expr(inner));
                    }
                }
            }
            out.push('"');
            out
        }
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::None => "none".into(),
        ExprKind::Time(t) => t.to_string(),
        ExprKind::User => "user".into(),
        ExprKind::Name(n) => n.to_string(),
        ExprKind::Field(base, field) => format!("{}.{}", wrap(base, 9), field.node),
        ExprKind::Call(f, args) => {
            let args: Vec<String> = args.iter().map(expr).collect();
            format!("{}({})", f.node, args.join(", "))
        }
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(expr).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Unary(UnaryOp::Not, inner) => format!("not {}", wrap(inner, 4)),
        ExprKind::Unary(UnaryOp::Neg, inner) => format!("-{}", wrap(inner, 8)),
        ExprKind::Binary(op, l, r) => {
            let p = op.precedence();
            // Left-associative: the right side needs parentheses at equal strength.
            format!("{} {} {}", wrap(l, p), op.symbol(), wrap(r, p + 1))
        }
        ExprKind::If(c, t, o) => format!("if {} then {} else {}", expr(c), expr(t), expr(o)),
        ExprKind::Index(list, index) => format!("{}[{}]", wrap(list, 9), expr(index)),
        ExprKind::Record(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.name.node, expr(&f.value)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        ExprKind::Each(each) => {
            let mut inner = format!(
                "{} for {} in {}",
                expr(&each.value),
                each.item.node,
                expr(&each.list)
            );
            if let Some(keep) = &each.keep {
                let _ = write!(inner, " if {}", expr(keep));
            }
            match each.kind.word() {
                Some(word) => format!("{word}({inner})"),
                None => format!("[{inner}]"),
            }
        }
    }
}

/// `e`, in parentheses when it binds looser than `needed`.
fn wrap(e: &Expr, needed: u8) -> String {
    if strength(e) < needed {
        format!("({})", expr(e))
    } else {
        expr(e)
    }
}

/// `find contact in CRM`, then (when `whole`) ` where … ordered by FIELD desc`.
fn lookup_text(lookup: &Lookup, whole: bool) -> String {
    let mut text = format!(
        "{} {} in {}",
        lookup.kind.keyword(),
        lookup.entity.node,
        lookup.app.node
    );
    if !whole {
        return text;
    }
    if let Some(condition) = &lookup.condition {
        let _ = write!(text, " where {}", expr(condition));
    }
    text.push_str(&order_text(lookup));
    text
}

/// ` ordered by FIELD [desc]` of a `find` or an `every`, or nothing.
fn order_text(lookup: &Lookup) -> String {
    match lookup.kind.order() {
        Some(order) if order.descending => format!(" ordered by {} desc", order.field.node),
        Some(order) => format!(" ordered by {}", order.field.node),
        None => String::new(),
    }
}
