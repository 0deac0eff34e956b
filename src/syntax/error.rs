//! Syntax errors (E0001), built from pest's failure report and described in words.
//!
//! pest says which rules and literal tokens it tried at the farthest position it reached.
//! This module turns those into what a user would call them (`a field name`, `"}"`), says
//! what was found instead, and, for a block or text that never ends, where it was opened (the
//! scanner, [`super::scan`], says what is open: one answer, reported once, as a second label on
//! the opener with the help naming its closer). [`from_pest`] reads pest's report into
//! [`Tried`]; [`misplaced_word`] and [`expected_here`] each make one kind of error from it.

use std::collections::BTreeSet;

use pest::error::{ErrorVariant, InputLocation};

use super::Rule;
use super::advice;
use super::expected::{
    ITEM, SCENARIO_STEP, STEP, describe, keyword_text, starts_expression, suggest_word,
};
use super::scan::{self, Delim};
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Report};
use crate::span::{FileId, Span};
use crate::words;

/// A syntax error, as data; [`crate::diagnostic`] renders it.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub span: Span,
    pub kind: Box<SyntaxErrorKind>,
    /// The `{`, `(`, `[` or `"` that is still open where the error was found.
    pub unclosed: Option<Opener>,
    /// A wider span the error sits in, shown as a secondary label.
    pub context: Option<Span>,
    /// The input ended before the construct did: more input could make it valid.
    pub at_end_of_input: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SyntaxErrorKind {
    /// Something else was expected here.
    Expected {
        expected: Vec<Expected>,
        found: Found,
        /// A close word for what was found, when only certain words fit here.
        suggestion: Option<&'static str>,
        /// The word or symbol just before, for advice that depends on where the error is.
        previous: String,
    },
    /// A name that is a reserved keyword where a name is needed.
    KeywordAsName {
        keyword: String,
        expected: Vec<Expected>,
    },
    /// `{` inside a scenario's name.
    InterpolationInName,
    /// A number, duration or count that does not fit (E0003); `limit` says how far they go.
    NumberTooLarge { limit: &'static str },
    /// Expressions nested deeper than the parser allows (E0002).
    TooDeep { limit: u32 },
    /// Branches or `for`s nested deeper than weir walks (E0002); `keyword` is the step's
    /// first word, `if` or `for`.
    StepsTooDeep { limit: u32, keyword: &'static str },
    /// An expression whose tree of operators is deeper than weir walks (E0002): `operators`
    /// counts those chained at its own level, 0 when the depth comes from nesting.
    TooLong { limit: u32, operators: u32 },
    /// A lone `}` inside a text.
    LoneBraceInText,
    /// A backslash before a character that has no escape.
    UnknownEscape { escape: char },
    /// `count(l for l in lines)`: a call with `for` inside whose name is not a walk (E0106);
    /// `close` is the walk its name is close to, `fix` the call rewritten.
    UnknownWalk {
        name: String,
        close: Option<&'static str>,
        fix: String,
    },
    /// `let NAME = create … at most once per …`: `limit` as written, `trigger` the
    /// workflow's trigger line, where the limit can go.
    LimitOnLet {
        name: String,
        limit: String,
        trigger: Option<String>,
    },
    /// `total <-5`: `<-` is a sync's arrow; `left < -right` was meant.
    LessThanNegative { left: String, right: String },
}

/// What the parser wanted, in the user's words.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Expected {
    /// A description such as `a field name`.
    Thing(&'static str),
    /// A literal token such as `}` or `in`.
    Token(String),
}

/// What stood where the error was found.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    EndOfInput,
    Token(String),
}

/// An opening bracket or quote that is still open.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Opener {
    pub span: Span,
    pub symbol: char,
}

impl SyntaxError {
    pub(super) fn custom(span: Span, kind: SyntaxErrorKind) -> SyntaxError {
        SyntaxError {
            span,
            kind: Box::new(kind),
            unclosed: None,
            context: None,
            at_end_of_input: false,
        }
    }

    /// An error found parsing `text[start..end]` alone, placed in the whole text. The end of
    /// that part is not the end of the input: what follows it is what was found.
    pub(super) fn moved_into(mut self, text: &str, start: usize, end: usize) -> SyntaxError {
        let shift = |span: Span| Span {
            start: span.start + start as u32,
            end: span.end + start as u32,
            ..span
        };
        self.span = shift(self.span);
        self.context = self.context.map(shift);
        if let Some(opener) = &mut self.unclosed {
            opener.span = shift(opener.span);
        }
        if end < text.len()
            && let SyntaxErrorKind::Expected { found, .. } = self.kind.as_mut()
            && *found == Found::EndOfInput
        {
            let next = text[end..].len() - text[end..].trim_start().len();
            *found = found_at(text, end + next);
            if let Found::Token(token) = found {
                self.span = Span::new(self.span.file, end + next, end + next + token.len());
            }
            self.at_end_of_input = false;
        }
        self
    }

    pub(super) fn with_context(mut self, context: Span) -> SyntaxError {
        self.context = Some(context);
        self
    }
}

/// A syntax error from pest's report: where the text went wrong, what was tried there, and
/// what stood there instead, in the user's words.
pub(super) fn from_pest(file: FileId, text: &str, err: pest::error::Error<Rule>) -> SyntaxError {
    let err_pos = match err.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    // pest stops before the stack runs out (brackets or `if`s nested thousands deep); that is
    // nesting past weir's limit, not a missing token.
    if let ErrorVariant::CustomError { message } = &err.variant
        && message.contains("stack limit")
    {
        let at = err_pos.min(text.len());
        let end = (at + 1..=text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(at);
        return SyntaxError::custom(
            Span::new(file, at, end),
            SyntaxErrorKind::TooDeep {
                limit: super::expr::MAX_DEPTH,
            },
        );
    }
    let tried = Tried::of(text, err_pos, &err);
    let found = found_at(text, tried.pos);
    let scan = scan_openers(file, text, tried.pos);
    let pos = tried.pos;
    let token_span = match &found {
        Found::EndOfInput => Span::new(file, pos, pos),
        Found::Token(token) if token == "the end of the line" => Span::new(file, pos, pos),
        Found::Token(token) => Span::new(file, pos, pos + token.len()),
    };
    if scan.open_text.is_some() && matches!(&found, Found::Token(t) if t == "}") {
        return SyntaxError::custom(token_span, SyntaxErrorKind::LoneBraceInText);
    }
    if scan.open_text.is_some() && text[..pos.min(text.len())].ends_with('\\') {
        let escape = text[pos..].chars().next().unwrap_or(' ');
        return SyntaxError::custom(
            Span::new(file, pos - 1, pos + escape.len_utf8()),
            SyntaxErrorKind::UnknownEscape { escape },
        );
    }
    if let Some(err) =
        super::walks::unknown_walk(text, &found, token_span, scan.open_brackets.last())
            .or_else(|| super::let_limit::limit_on_let(text, &found, token_span))
            .or_else(|| super::arrow::less_than_negative(text, &found, token_span))
    {
        return err;
    }
    if let Found::Token(word) = &found
        && let Some(err) = misplaced_word(word, token_span, &tried, &scan, text)
    {
        return err;
    }
    expected_here(text, tried, found, token_span, scan)
}

/// The rules and tokens pest tried where the text went wrong.
struct Tried {
    pos: usize,
    rules: BTreeSet<Rule>,
    tokens: BTreeSet<String>,
}

impl Tried {
    fn of(text: &str, err_pos: usize, err: &pest::error::Error<Rule>) -> Tried {
        let positives = match &err.variant {
            ErrorVariant::ParsingError { positives, .. } => positives.clone(),
            ErrorVariant::CustomError { .. } => Vec::new(),
        };
        // pest's own position can lag behind the farthest token it tried; the farthest is where
        // the user's text really went wrong.
        // (Except inside a word or in white space: that is a keyword check looking one character
        // past a keyword, not a real attempt.)
        let attempts = err.parse_attempts();
        let farthest = attempts
            .as_ref()
            .map_or(err_pos, |a| a.max_position.max(err_pos));
        let mut pos = if plausible_error_position(text, farthest) {
            farthest
        } else {
            err_pos
        };
        // `=>`, `=<`, `=!` and `<>` fail on their second character; point at the whole symbol.
        let rest = &text[pos.min(text.len())..];
        let before = &text[..pos.min(text.len())];
        if (before.ends_with('=') && rest.starts_with(['>', '<', '!']))
            || (before.ends_with('<') && rest.starts_with('>'))
        {
            pos -= 1;
        }
        let mut rules: BTreeSet<Rule> = BTreeSet::new();
        let mut tokens: BTreeSet<String> = BTreeSet::new();
        if pos == err_pos {
            rules.extend(positives);
        }
        if let Some(attempts) = attempts.as_ref().filter(|a| a.max_position == pos) {
            for stack in attempts.call_stacks() {
                if let Some(rule) = stack.deepest.get_rule() {
                    rules.insert(*rule);
                }
            }
            // Words come from the keyword rules; here only punctuation is kept.
            for token in attempts.expected_tokens() {
                let token = token.to_string();
                let punctuation = !token.is_empty()
                    && !token
                        .chars()
                        .any(|c| c.is_alphanumeric() || c.is_whitespace());
                if punctuation && !matches!(token.as_str(), "#" | "_" | "\\" | "{{" | "}}" | "..") {
                    tokens.insert(token);
                }
            }
        }
        for rule in &rules {
            if let Some(word) = keyword_text(*rule) {
                tokens.insert(word.to_string());
            }
        }
        if rules.contains(&Rule::EOI) && rules.len() == 1 && tokens.is_empty() {
            tokens.insert("end".into());
        }
        Tried { pos, rules, tokens }
    }
}

/// A word where it cannot stand: an item's or a step's first word inside a block that was
/// never closed, or a keyword where a name is wanted.
fn misplaced_word(
    word: &str,
    token_span: Span,
    tried: &Tried,
    scan: &OpenerScan,
    text: &str,
) -> Option<SyntaxError> {
    let (rules, tokens, pos) = (&tried.rules, &tried.tokens, tried.pos);
    let wants_name = rules.contains(&Rule::ident) && !rules.iter().any(|r| starts_expression(*r));
    let starts_item = words::has_role(word, ITEM);
    // A step's first word where the parser still wanted more of a block nested inside a
    // workflow or scenario (`create … { name: name` and then `notify` on the next line):
    // that inner block was never closed.
    let starts_step = (words::has_role(word, STEP) || words::has_role(word, SCENARIO_STEP))
        && scan.open_brackets.len() >= 2;
    let inner_opener = if starts_step {
        scan.open_brackets.last()
    } else {
        None
    };
    if let Some(opener) = inner_opener.or(if starts_item {
        scan.open_brackets.last()
    } else {
        None
    }) {
        // `workflow` inside an app's braces: the app was never closed.
        return Some(SyntaxError {
            span: token_span,
            kind: Box::new(SyntaxErrorKind::Expected {
                expected: vec![Expected::Token("}".into())],
                found: Found::Token(word.to_string()),
                suggestion: None,
                previous: String::new(),
            }),
            unclosed: Some(*opener),
            context: None,
            at_end_of_input: false,
        });
    }
    if wants_name && words::is_keyword(word) && !word_fits(word, rules, tokens) {
        let expected = describe(rules, tokens.clone(), previous_word(text, pos));
        return Some(SyntaxError::custom(
            token_span,
            SyntaxErrorKind::KeywordAsName {
                keyword: word.to_string(),
                expected,
            },
        ));
    }
    None
}

/// The error that says what was expected here and what was found.
fn expected_here(
    text: &str,
    tried: Tried,
    found: Found,
    token_span: Span,
    scan: OpenerScan,
) -> SyntaxError {
    let Tried { pos, rules, tokens } = tried;
    let at_end = matches!(found, Found::EndOfInput);
    let mut expected = describe(&rules, tokens, previous_word(text, pos));
    // The grammar takes `changing` after any kind (the checker then says E0205), but only
    // `updated` triggers can use it: do not offer it after `on new …` or `on deleted …`.
    if matches!(trigger_kind_before(text, pos), Some("new" | "deleted")) {
        expected.retain(|e| !matches!(e, Expected::Token(t) if t == "changing"));
    }
    if expected.is_empty() {
        expected.push(Expected::Thing("an item"));
    }
    let suggestion = match &found {
        Found::Token(word) => suggest_word(word, &rules, &expected),
        Found::EndOfInput => None,
    };

    // An unclosed text ends at the line's end, not at the end of the input: say so.
    // A closer that does not close the innermost opener (`text(x` and then `}`): that opener
    // is the one never closed.
    let innermost = scan.open_brackets.last().copied();
    let mismatched = innermost.filter(|opener| match &found {
        Found::Token(t) => {
            matches!(t.as_str(), "}" | ")" | "]")
                && Delim::of_opener(opener.symbol).is_some_and(|d| !t.starts_with(d.closer()))
        }
        Found::EndOfInput => false,
    });
    let unclosed = scan
        .open_text
        .or(if at_end { innermost } else { mismatched });
    let in_open_text = scan.open_text.is_some();
    SyntaxError {
        span: token_span,
        kind: Box::new(SyntaxErrorKind::Expected {
            expected,
            found,
            suggestion,
            previous: previous_word(text, pos).to_string(),
        }),
        unclosed,
        context: scan.interpolation,
        // A text cannot run over lines, so more input cannot close one.
        at_end_of_input: at_end && !in_open_text,
    }
}

/// The kind of the last trigger (`on KIND …`) before `pos`, if there is one.
fn trigger_kind_before(text: &str, pos: usize) -> Option<&str> {
    let head = &text[..pos.min(text.len())];
    // Words of code only: an `on` in a comment or a text is not a trigger.
    let words: Vec<&str> = scan::tokens(head)
        .filter(|t| t.kind == scan::Kind::Word)
        .map(|t| &head[t.start..t.end])
        .collect();
    let on = words.iter().rposition(|w| *w == "on")?;
    words.get(on + 1).copied()
}

/// Whether a keyword found where a name is wanted is also one of the things expected there.
fn word_fits(word: &str, rules: &BTreeSet<Rule>, tokens: &BTreeSet<String>) -> bool {
    tokens.contains(word)
        || rules.iter().any(|rule| match rule {
            Rule::event_kind => words::spelled_by("event_kind").contains(&word),
            Rule::op_and | Rule::op_or | Rule::op_in | Rule::op_not => {
                matches!(word, "and" | "or" | "in" | "not")
            }
            Rule::true_lit | Rule::false_lit | Rule::none_lit | Rule::user_lit => {
                matches!(word, "true" | "false" | "none" | "user")
            }
            Rule::linked => word == "linked",
            Rule::no => word == "no",
            Rule::loop_word => word == "loop",
            _ => false,
        })
}

fn found_at(text: &str, pos: usize) -> Found {
    let rest = &text[pos.min(text.len())..];
    let Some(first) = rest.chars().next() else {
        return Found::EndOfInput;
    };
    let len = if first.is_ascii_digit() {
        // A number with what follows it (`1.5h`, `90x`), so that it can be talked about whole.
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len())
    } else if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else if first == '\n' || first == '\r' {
        return Found::Token("the end of the line".into());
    } else {
        [
            "<->", "->", "<-", "==", "!=", "<=", ">=", "??", "{{", "}}", "=>", "=<", "=!", "&&",
            "||", "<>",
        ]
        .iter()
        .find(|op| rest.starts_with(**op))
        .map_or(first.len_utf8(), |op| op.len())
    };
    Found::Token(rest[..len].to_string())
}

/// The word or symbol just before `pos`, skipping white space and comments.
fn previous_word(text: &str, pos: usize) -> &str {
    let head = &text[..pos.min(text.len())];
    let head = &head[..scan::significant_len(head)];
    let end = head.len();
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(end, |(i, _)| i);
    if start == end {
        let last = head.chars().last().map_or(0, char::len_utf8);
        &head[end - last..]
    } else {
        &head[start..end]
    }
}

fn plausible_error_position(text: &str, pos: usize) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let (before, after) = text.split_at(pos.min(text.len()));
    let last_word_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !word(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    if words::is_keyword(&before[last_word_start..]) {
        return false;
    }
    match (before.chars().last(), after.chars().next()) {
        (_, None) => true,
        (_, Some(c)) if c.is_whitespace() => false,
        (Some(b), Some(a)) => !(word(b) && word(a)),
        (None, Some(_)) => true,
    }
}

struct OpenerScan {
    open_brackets: Vec<Opener>,
    open_text: Option<Opener>,
    /// The `{` of a text's interpolation the position is inside, if any.
    interpolation: Option<Span>,
}

/// How many brackets are open at the end of `text`, texts and comments aside.
pub fn open_brackets(text: &str) -> usize {
    scan::open_at_end(text)
        .iter()
        .filter(|(delim, _)| *delim != Delim::Text)
        .count()
}

/// The brackets and quotes still open at `pos`, as the scanner finds them.
fn scan_openers(file: FileId, text: &str, pos: usize) -> OpenerScan {
    let open = scan::open_at_end(&text[..pos.min(text.len())]);
    let opener = |(delim, at): &(Delim, usize)| Opener {
        span: Span::new(file, *at, *at + 1),
        symbol: delim.opener(),
    };
    OpenerScan {
        open_text: open
            .last()
            .filter(|(delim, _)| *delim == Delim::Text)
            .map(opener),
        open_brackets: open
            .iter()
            .filter(|(delim, _)| *delim != Delim::Text)
            .map(opener)
            .collect(),
        interpolation: open
            .iter()
            .rev()
            .find(|(delim, _)| *delim == Delim::Interpolation)
            .map(|(_, at)| Span::new(file, *at, *at + 1)),
    }
}

// ---------------------------------------------------------------- the diagnostic

impl Report for SyntaxError {
    fn report(&self) -> Diagnostic {
        let (message, label, help) = self.parts();
        let d = diagnostic::new(self.code(), message);
        let mut labels = vec![diagnostic::primary(self.span, label)];
        let mut notes = Vec::new();
        if let Some(opener) = self.unclosed {
            let what = if opener.symbol == '"' {
                "this text".to_string()
            } else {
                format!("this `{}`", opener.symbol)
            };
            labels.push(diagnostic::secondary(
                opener.span,
                format!("{what} is never closed"),
            ));
        }
        if let Some(context) = self.context {
            let what = match *self.kind {
                SyntaxErrorKind::Expected { .. } => "this `{` starts an expression inside the text",
                _ => "in this",
            };
            labels.push(diagnostic::secondary(context, what));
        }
        notes.push(diagnostic::help(help));
        d.with_labels(labels).with_notes(notes)
    }
}

pub(super) fn list_words(expected: &[Expected]) -> String {
    let words: Vec<String> = expected
        .iter()
        .map(|e| match e {
            Expected::Thing(t) => t.to_string(),
            Expected::Token(t) => format!("`{t}`"),
        })
        .collect();
    match words.as_slice() {
        [] => "something else".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

impl SyntaxError {
    /// E0001 for text that does not follow the grammar; E0002 and E0003 for text that does
    /// but goes past a limit.
    pub fn code(&self) -> Code {
        match self.kind.as_ref() {
            SyntaxErrorKind::TooDeep { .. }
            | SyntaxErrorKind::StepsTooDeep { .. }
            | SyntaxErrorKind::TooLong { .. } => Code::E0002,
            SyntaxErrorKind::NumberTooLarge { .. } => Code::E0003,
            SyntaxErrorKind::UnknownWalk { .. } => Code::E0106,
            _ => Code::E0001,
        }
    }

    /// What the error says: its message, the label at its span, and its help, each variant
    /// in one arm.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per kind of syntax error: each variant's message, label and help together"
    )]
    fn parts(&self) -> (String, String, String) {
        let text = |s: &str| s.to_string();
        match self.kind.as_ref() {
            SyntaxErrorKind::Expected {
                expected,
                found,
                suggestion,
                previous,
            } => self.expected_parts(expected, found, *suggestion, previous),
            SyntaxErrorKind::KeywordAsName { keyword, expected } => (
                format!(
                    "expected {}, found the keyword `{keyword}`",
                    list_words(expected)
                ),
                format!("`{keyword}` is a keyword"),
                format!(
                    "write {} before `{keyword}`; a name cannot be a keyword (use `{keyword}_` if you meant it as one; `weir explain E0001` lists them)",
                    list_words(expected)
                ),
            ),
            SyntaxErrorKind::InterpolationInName => (
                text("a scenario name cannot contain `{…}`"),
                text("`{` starts an expression"),
                text("write `{{` and `}}` for braces in a scenario name"),
            ),
            SyntaxErrorKind::NumberTooLarge { limit } => (
                format!("this number is too large: {limit}"),
                text("this does not fit"),
                text("use a smaller number"),
            ),
            SyntaxErrorKind::TooDeep { limit } => (
                text("this expression is nested too deeply"),
                text("too many nested parts"),
                format!(
                    "split the expression with `let` steps; at most {limit} levels are allowed"
                ),
            ),
            SyntaxErrorKind::StepsTooDeep {
                limit,
                keyword: "for",
            } => (
                format!(
                    "this `for` is nested inside {limit} `if`s and `for`s, more than weir allows"
                ),
                text("too many steps inside one another"),
                text(
                    "move the inner steps to a workflow of their own, set off by a record the outer steps create",
                ),
            ),
            SyntaxErrorKind::StepsTooDeep { limit, .. } => (
                format!("this `if` is nested inside {limit} others, more than weir allows"),
                text("too many `if`s inside one another"),
                text(
                    "join conditions with `and` (`if a and b { … }`), or use `else if` instead of an `if` inside an `else`",
                ),
            ),
            SyntaxErrorKind::TooLong { limit, operators } => (
                if operators > limit {
                    format!(
                        "this expression chains {operators} operators; weir allows at most {limit} levels"
                    )
                } else {
                    format!("this expression nests more than {limit} levels deep")
                },
                format!("more than {limit} levels"),
                text(
                    "split the expression with `let` steps: `let first = a + b + c`, then `first + d + e`",
                ),
            ),
            SyntaxErrorKind::LoneBraceInText => (
                text("a `}` in a text must be written `}}`"),
                text("this `}` closes nothing"),
                text(
                    "write `}}` for a brace in a text; `{…}` puts the value of an expression in it",
                ),
            ),
            SyntaxErrorKind::UnknownWalk { name, close, fix } => {
                super::walks::parts(name, *close, fix)
            }
            SyntaxErrorKind::LimitOnLet {
                name,
                limit,
                trigger,
            } => super::let_limit::parts(name, limit, trigger.as_deref()),
            SyntaxErrorKind::LessThanNegative { left, right } => super::arrow::parts(left, right),
            SyntaxErrorKind::UnknownEscape { escape } => (
                format!("`\\{escape}` is not an escape"),
                text("unknown escape"),
                text(
                    "the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`; write `\\\\` for a backslash",
                ),
            ),
        }
    }

    /// Something else was expected: the message lists it, the label says what was found, and
    /// the help is the most useful advice for what was found where.
    fn expected_parts(
        &self,
        expected: &[Expected],
        found: &Found,
        suggestion: Option<&str>,
        previous: &str,
    ) -> (String, String, String) {
        let open_text = self.unclosed.is_some_and(|o| o.symbol == '"');
        let message = if open_text {
            "this text is never closed".to_string()
        } else {
            format!("expected {}", list_words(expected))
        };
        let label = match found {
            Found::EndOfInput => "the input ends here".to_string(),
            Found::Token(t) if t == "the end of the line" && open_text => {
                "the line ends here".to_string()
            }
            Found::Token(t) if t == "the end of the line" => format!(
                "expected {} before the end of the line",
                list_words(expected)
            ),
            Found::Token(t) => format!("found `{t}`"),
        };
        let help = if let Some(advice) = advice::misplaced(expected, found, previous) {
            advice
        } else if let Some(opener) = self.unclosed {
            match Delim::of_opener(opener.symbol) {
                Some(Delim::Text) => "add `\"` before the end of the line; a text cannot run over lines (write `\\n` for a line break)".into(),
                Some(Delim::Paren) => "add `)` to close the parenthesis".into(),
                Some(Delim::Bracket) => "add `]` to close the list".into(),
                _ => "add `}` to close the block, or finish what is inside it".into(),
            }
        } else if let Some(word) = suggestion {
            format!("did you mean `{word}`?")
        } else if self.context.is_some() {
            "`{` in a text starts an expression that ends at `}`; write `{{` for a brace".into()
        } else {
            advice::help_for(expected, found)
        };
        (message, label, help)
    }
}
