//! Syntax errors (E0001), built from pest's failure report and described in words.
//!
//! pest says which rules and literal tokens it tried at the farthest position it reached.
//! This module turns those into what a user would call them (`a field name`, `"}"`), says
//! what was found instead, and, for a block or text that never ends, where it was opened.

use std::collections::BTreeSet;

use pest::error::{ErrorVariant, InputLocation};

use super::Rule;
use super::expected::{
    ITEM_WORDS, KIND_NAMES, SCENARIO_WORDS, STEP_WORDS, describe, keyword_text, starts_expression,
    suggest_word,
};
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Report};
use crate::span::{FileId, Span};
use crate::words::KEYWORDS;

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
    /// Branches nested deeper than weir walks (E0002).
    StepsTooDeep { limit: u32 },
    /// An expression whose tree of operators is deeper than weir walks (E0002): `operators`
    /// counts those chained at its own level, 0 when the depth comes from nesting.
    TooLong { limit: u32, operators: u32 },
    /// A lone `}` inside a text.
    LoneBraceInText,
    /// A backslash before a character that has no escape.
    UnknownEscape { escape: char },
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

    let found = found_at(text, pos);
    let at_end = matches!(found, Found::EndOfInput);
    let scan = scan_openers(file, text, pos);
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
    // A keyword where a name was wanted deserves its own message.
    if let Found::Token(word) = &found {
        let wants_name =
            rules.contains(&Rule::ident) && !rules.iter().any(|r| starts_expression(*r));
        let starts_item = ITEM_WORDS.contains(&word.as_str());
        // A step's first word where the parser still wanted more of a block nested inside a
        // workflow or scenario (`create … { name: name` and then `notify` on the next line):
        // that inner block was never closed.
        let starts_step = (STEP_WORDS.contains(&word.as_str())
            || SCENARIO_WORDS.contains(&word.as_str()))
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
            return SyntaxError {
                span: token_span,
                kind: Box::new(SyntaxErrorKind::Expected {
                    expected: vec![Expected::Token("}".into())],
                    found: found.clone(),
                    suggestion: None,
                    previous: String::new(),
                }),
                unclosed: Some(*opener),
                context: None,
                at_end_of_input: false,
            };
        }
        if wants_name && KEYWORDS.contains(&word.as_str()) && !word_fits(word, &rules, &tokens) {
            let expected = describe(&rules, tokens.clone(), previous_word(text, pos));
            return SyntaxError::custom(
                token_span,
                SyntaxErrorKind::KeywordAsName {
                    keyword: word.clone(),
                    expected,
                },
            );
        }
    }

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
    let unclosed = scan.open_text.or(if at_end {
        scan.open_brackets.last().copied()
    } else {
        None
    });
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
    let words: Vec<&str> = text[..pos.min(text.len())]
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let on = words.iter().rposition(|w| *w == "on")?;
    words.get(on + 1).copied()
}

/// Whether a keyword found where a name is wanted is also one of the things expected there.
fn word_fits(word: &str, rules: &BTreeSet<Rule>, tokens: &BTreeSet<String>) -> bool {
    tokens.contains(word)
        || rules.iter().any(|rule| match rule {
            Rule::event_kind => KIND_NAMES.contains(&word),
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
    let mut head = &text[..pos.min(text.len())];
    loop {
        head = head.trim_end();
        // A comment is a `#` on the current line that is not inside text; rare enough to
        // handle by trimming from the last `#` when the line has no quote.
        let line_start = head.rfind('\n').map_or(0, |i| i + 1);
        match head[line_start..].find('#') {
            Some(hash) if !head[line_start..].contains('"') => head = &head[..line_start + hash],
            _ => break,
        }
    }
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
    if KEYWORDS.contains(&&before[last_word_start..]) {
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

/// Walks the source up to `pos`, keeping track of brackets and quotes that are still open.
/// How many brackets are open at the end of `text`, texts and comments aside.
pub fn open_brackets(text: &str) -> usize {
    scan_openers(0, text, text.len()).open_brackets.len()
}

fn scan_openers(file: FileId, text: &str, pos: usize) -> OpenerScan {
    #[derive(PartialEq)]
    enum Frame {
        Bracket(char),
        Text,
        Interpolation,
    }
    let mut frames: Vec<(Frame, usize)> = Vec::new();
    let bytes = &text.as_bytes()[..pos.min(text.len())];
    let mut i = 0;
    let in_text = |frames: &Vec<(Frame, usize)>| matches!(frames.last(), Some((Frame::Text, _)));
    while i < bytes.len() {
        let c = bytes[i];
        if in_text(&frames) {
            match c {
                b'\\' => i += 1,
                b'"' | b'\n' => {
                    frames.pop();
                }
                b'{' if bytes.get(i + 1) == Some(&b'{') => i += 1,
                b'}' if bytes.get(i + 1) == Some(&b'}') => i += 1,
                b'{' => frames.push((Frame::Interpolation, i)),
                _ => {}
            }
        } else {
            match c {
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'"' => frames.push((Frame::Text, i)),
                b'{' | b'(' | b'[' => frames.push((Frame::Bracket(c as char), i)),
                b'}' | b')' | b']' => {
                    if matches!(
                        frames.last(),
                        Some((Frame::Bracket(_) | Frame::Interpolation, _))
                    ) {
                        frames.pop();
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    let open_text = match frames.last() {
        Some((Frame::Text, at)) => Some(Opener {
            span: Span::new(file, *at, *at + 1),
            symbol: '"',
        }),
        _ => None,
    };
    let open_brackets = frames
        .iter()
        .filter_map(|(frame, at)| match frame {
            Frame::Bracket(c) => Some(Opener {
                span: Span::new(file, *at, *at + 1),
                symbol: *c,
            }),
            Frame::Interpolation => Some(Opener {
                span: Span::new(file, *at, *at + 1),
                symbol: '{',
            }),
            Frame::Text => None,
        })
        .collect();
    let interpolation = frames.iter().rev().find_map(|(frame, at)| match frame {
        Frame::Interpolation => Some(Span::new(file, *at, *at + 1)),
        _ => None,
    });
    OpenerScan {
        open_brackets,
        open_text,
        interpolation,
    }
}

// ---------------------------------------------------------------- the diagnostic

impl Report for SyntaxError {
    fn report(&self) -> Diagnostic {
        let d = diagnostic::new(self.code(), self.message());
        let mut labels = vec![diagnostic::primary(self.span, self.label())];
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
        notes.push(diagnostic::help(self.help()));
        d.with_labels(labels).with_notes(notes)
    }
}

fn list_words(expected: &[Expected]) -> String {
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
            _ => Code::E0001,
        }
    }

    fn message(&self) -> String {
        match self.kind.as_ref() {
            SyntaxErrorKind::Expected { .. } if self.unclosed.is_some_and(|o| o.symbol == '"') => {
                "this text is never closed".into()
            }
            SyntaxErrorKind::Expected { expected, .. } => {
                format!("expected {}", list_words(expected))
            }
            SyntaxErrorKind::KeywordAsName { keyword, expected } => {
                format!(
                    "expected {}, found the keyword `{keyword}`",
                    list_words(expected)
                )
            }
            SyntaxErrorKind::InterpolationInName => "a scenario name cannot contain `{…}`".into(),
            SyntaxErrorKind::NumberTooLarge { limit } => {
                format!("this number is too large: {limit}")
            }
            SyntaxErrorKind::TooDeep { .. } => "this expression is nested too deeply".into(),
            SyntaxErrorKind::StepsTooDeep { limit } => {
                format!("this `if` is nested inside {limit} others, more than weir allows")
            }
            SyntaxErrorKind::TooLong { limit, operators } if operators > limit => format!(
                "this expression chains {operators} operators; weir allows at most {limit} levels"
            ),
            SyntaxErrorKind::TooLong { limit, .. } => {
                format!("this expression nests more than {limit} levels deep")
            }
            SyntaxErrorKind::LoneBraceInText => "a `}` in a text must be written `}}`".into(),
            SyntaxErrorKind::UnknownEscape { escape } => format!("`\\{escape}` is not an escape"),
        }
    }

    fn label(&self) -> String {
        match self.kind.as_ref() {
            SyntaxErrorKind::Expected {
                found, expected, ..
            } => match found {
                Found::EndOfInput => "the input ends here".into(),
                Found::Token(t) if t == "the end of the line" => {
                    if self.unclosed.is_some_and(|o| o.symbol == '"') {
                        "the line ends here".into()
                    } else {
                        format!(
                            "expected {} before the end of the line",
                            list_words(expected)
                        )
                    }
                }
                Found::Token(t) => format!("found `{t}`"),
            },
            SyntaxErrorKind::KeywordAsName { keyword, .. } => format!("`{keyword}` is a keyword"),
            SyntaxErrorKind::InterpolationInName => "`{` starts an expression".into(),
            SyntaxErrorKind::NumberTooLarge { .. } => "this does not fit".into(),
            SyntaxErrorKind::TooDeep { .. } => "too many nested parts".into(),
            SyntaxErrorKind::StepsTooDeep { .. } => "too many `if`s inside one another".into(),
            SyntaxErrorKind::TooLong { limit, .. } => format!("more than {limit} levels"),
            SyntaxErrorKind::LoneBraceInText => "this `}` closes nothing".into(),
            SyntaxErrorKind::UnknownEscape { .. } => "unknown escape".into(),
        }
    }

    fn help(&self) -> String {
        match self.kind.as_ref() {
            SyntaxErrorKind::KeywordAsName { keyword, expected } => {
                format!(
                    "write {} before `{keyword}`; a name cannot be a keyword (use `{keyword}_` if you meant it as one; `weir explain E0001` lists them)",
                    list_words(expected)
                )
            }
            SyntaxErrorKind::InterpolationInName => {
                "write `{{` and `}}` for braces in a scenario name".into()
            }
            SyntaxErrorKind::NumberTooLarge { .. } => "use a smaller number".into(),
            SyntaxErrorKind::TooDeep { limit } => {
                format!("split the expression with `let` steps; at most {limit} levels are allowed")
            }
            SyntaxErrorKind::StepsTooDeep { .. } => {
                "join conditions with `and` (`if a and b { … }`), or use `else if` instead of an `if` inside an `else`".into()
            }
            SyntaxErrorKind::TooLong { .. } => {
                "split the expression with `let` steps: `let first = a + b + c`, then `first + d + e`".into()
            }
            SyntaxErrorKind::LoneBraceInText => {
                "write `}}` for a brace in a text; `{…}` puts the value of an expression in it"
                    .into()
            }
            SyntaxErrorKind::UnknownEscape { .. } => {
                "the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`; write `\\\\` for a backslash"
                    .into()
            }
            SyntaxErrorKind::Expected {
                expected,
                found,
                suggestion,
                previous,
            } => {
                if let Some(advice) = misplaced(expected, found, previous) {
                    return advice;
                }
                if let Some(opener) = self.unclosed {
                    return match opener.symbol {
                        '"' => "add `\"` before the end of the line; a text cannot run over lines (write `\\n` for a line break)".into(),
                        '{' => "add `}` to close the block, or finish what is inside it".into(),
                        '(' => "add `)` to close the parenthesis".into(),
                        '[' => "add `]` to close the list".into(),
                        _ => "close what was opened".into(),
                    };
                }
                if let Some(word) = suggestion {
                    return format!("did you mean `{word}`?");
                }
                if self.context.is_some() {
                    return "`{` in a text starts an expression that ends at `}`; write `{{` for a brace".into();
                }
                help_for(expected, found)
            }
        }
    }
}

/// The most useful advice for what was expected.
/// Advice for a part written in the wrong place or form, judged by what was found where.
fn misplaced(expected: &[Expected], found: &Found, previous: &str) -> Option<String> {
    let has_token = |token: &str| {
        expected
            .iter()
            .any(|e| matches!(e, Expected::Token(t) if t == token))
    };
    let has = |thing: &str| {
        expected
            .iter()
            .any(|e| matches!(e, Expected::Thing(t) if *t == thing))
    };
    let Found::Token(word) = found else {
        return None;
    };
    let word = word.as_str();
    let is_duration_like = word.starts_with(|c: char| c.is_ascii_digit())
        && word
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .starts_with(|c: char| c.is_alphabetic() || c == '.');
    Some(match word {
        "\u{201c}" | "\u{201d}" | "\u{2018}" | "\u{2019}" | "\u{201e}" | "\u{00ab}" | "\u{00bb}" => {
            "write the text in straight quotes, as in `\"hi\"`; curly quotes such as `\u{201c}…\u{201d}` come from word processors and do not start a text".into()
        }
        "changing" if has_token("do") || has_token("unless") => {
            "`changing` goes before `where`: `on updated ENTITY in APP changing FIELD where …`"
                .into()
        }
        "unless" if has_token("do") => {
            "a one-liner's `unless` comes last: `on … do ACTION unless CONDITION`".into()
        }
        "create" | "update" | "delete" | "notify" if has_token(",") || has_token("unless") => {
            "separate a one-liner's actions with `,`: `do create …, notify …`".into()
        }
        "where" if has_token(",") || has_token("unless") => {
            "`where` belongs to the trigger: `on new ENTITY in APP where CONDITION do …`".into()
        }
        "on" if has("a step") => {
            "a workflow has one trigger; write another workflow for another trigger".into()
        }
        "created" | "added" => {
            "the kinds of event are `new`, `updated` and `deleted`: write `new`".into()
        }
        "changed" | "modified" | "edited" => {
            "the kinds of event are `new`, `updated` and `deleted`: write `updated`".into()
        }
        "removed" => {
            "the kinds of event are `new`, `updated` and `deleted`: write `deleted`".into()
        }
        "}" if has_token("where")
            && (previous == "deletes"
                || previous == "updates"
                || previous.chars().all(|c| c.is_alphanumeric() || c == '_')) =>
        {
            "`user updates` and `user deletes` choose their records with `where CONDITION`".into()
        }
        _ if previous == "scenario" => {
            "a scenario's name is a text in quotes: `scenario \"what it shows\" { … }`".into()
        }
        _ if is_duration_like => {
            "a duration is a whole number followed by `s`, `m`, `h` or `d`, as in `90m`".into()
        }
        _ => return None,
    })
}

/// What a user coming from another language most likely meant by a symbol weir does not use.
fn foreign_symbol(found: &Found) -> Option<&'static str> {
    let Found::Token(t) = found else { return None };
    Some(match t.as_str() {
        "=" => "compare with `==`; a single `=` only gives a `let` its value",
        "=>" => "write `>=` for \"greater than or equal\"",
        "=<" => "write `<=` for \"less than or equal\"",
        "=!" => "write `!=` for \"not equal\"",
        "<>" => "write `!=` for \"not equal\"",
        "&&" | "&" => "write `and`",
        "||" | "|" => "write `or`",
        "!" => "write `not` before a condition, and `!=` for \"not equal\"",
        "'" => "texts are written in double quotes: \"like this\"",
        ";" => "steps need no `;`: write one step per line",
        _ => return None,
    })
}

fn help_for(expected: &[Expected], found: &Found) -> String {
    if let Some(help) = foreign_symbol(found) {
        return help.into();
    }
    let has = |thing: &str| {
        expected
            .iter()
            .any(|e| matches!(e, Expected::Thing(t) if *t == thing))
    };
    let has_token = |token: &str| {
        expected
            .iter()
            .any(|e| matches!(e, Expected::Token(t) if t == token))
    };
    if has("a type") {
        return "a field's type is one of `text`, `number`, `bool`, `time`, `duration`, `stamp` or `list<T>`, with `?` for an optional one".into();
    }
    if has_token(":") && expected.len() <= 2 {
        return "write each field as `name: type` in an entity and `name: value` in a field block"
            .into();
    }
    if has("`new`, `updated` or `deleted`") {
        return "a trigger reads `on new ENTITY in APP` (or `updated`, `deleted`)".into();
    }
    if has_token("in") && expected.len() <= 2 {
        return "name the app with `in`, as in `on new event in Calendar` or `create event in Outlook`".into();
    }
    if has_token("owns") && expected.len() == 1 {
        return "a line that starts with a name reads `App owns entity`; other items start with `app`, `workflow`, `on`, `sync`, `scenario` or `engine`".into();
    }
    if has_token("do") {
        return "a one-liner reads `on new ENTITY in APP do ACTION`; a named workflow is written `workflow NAME { … }`".into();
    }
    if has("an item") {
        return "a script holds `app`, `workflow`, one-liners (`on … do …`), `App owns entity`, `sync`, `scenario` and `engine` items".into();
    }
    if has("a step") {
        return "inside a workflow each step starts with `let`, `unless`, `continue if`, `if`, `create`, `update`, `delete`, `upsert` or `notify`".into();
    }
    if has("an expression") {
        return "write a value here: a field name, a text in quotes, a number, `true`, `none` or a call like `now()`".into();
    }
    if has("a field name") {
        return "each entry reads `name: …`; close the block with `}` when it is complete".into();
    }
    if has("a whole number") {
        return "write a count such as `1`, or `no`".into();
    }
    if matches!(found, Found::Token(t) if t == "}")
        && !expected
            .iter()
            .any(|e| matches!(e, Expected::Thing(t) if t.ends_with("name")))
    {
        return "this `}` closes the block too early: finish what is inside it first".into();
    }
    format!("write {} here", list_words(expected))
}
