//! Parsing: source text to [`crate::ast`].
//!
//! The grammar is `grammar/weir.pest`; this module is the only place that knows about pest.
//! [`parse_script`] turns a whole file into a [`Script`], or reports the first syntax error
//! (E0001) in words a user understands:
//!
//! ```text
//! app Calendar { event { title text } }      # accepted? no:
//!                              ^ expected `:` and a type
//! ```
//!
//! whereas `app Calendar { event { title: text } }` is accepted.
//!
//! Below pest sits [`scan`], one scanner that knows comments, texts and brackets: it splits a
//! script into items (so that a mistake in one does not hide the others) and tells the error
//! reporter what is still open. The words pest's keyword rules spell come from the table in
//! [`crate::words`]; [`expected`] turns rules back into those words.

mod advice;
mod arrow;
mod error;
mod expected;
mod expr;
mod let_limit;
mod lower;
mod lower_http;
mod lower_webhooks;
pub mod scan;
mod schedule;
mod steps;
mod time;
mod walks;

use std::sync::Mutex;

use pest::Parser;

use crate::ast::{ReplEntry, Script};
use crate::span::FileId;
use crate::words::{self, Role};

pub use error::{Expected, SyntaxError, open_brackets};

#[derive(pest_derive::Parser)]
#[grammar = "grammar/weir.pest"]
struct WeirParser;

/// Tracking every token pest tries makes parsing several times slower, so it is switched on
/// only to describe an error, by parsing the failed text again.
static DETAILED_ERRORS: Mutex<()> = Mutex::new(());

fn parse_rule(
    rule: Rule,
    file: FileId,
    text: &str,
) -> Result<pest::iterators::Pair<'_, Rule>, SyntaxError> {
    match WeirParser::parse(rule, text) {
        Ok(mut pairs) => Ok(pairs.next().expect("an entry rule always yields one pair")),
        Err(first) => {
            let _guard = DETAILED_ERRORS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            pest::set_error_detail(true);
            let detailed = WeirParser::parse(rule, text).err().unwrap_or(first);
            pest::set_error_detail(false);
            Err(error::from_pest(file, text, detailed))
        }
    }
}

/// Parses a whole script; the first syntax error stops it.
pub fn parse_script(file: FileId, text: &str) -> Result<Script, SyntaxError> {
    parse_script_all(file, text).map_err(|mut errors| errors.remove(0))
}

/// Parses a whole script item by item, so that a mistake in one item does not hide those in
/// the others: every syntax error, in order, or the script.
pub fn parse_script_all(file: FileId, text: &str) -> Result<Script, Vec<SyntaxError>> {
    let starts = item_starts(text);
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let chunk = &text[start..end];
        match parse_rule(Rule::script, file, chunk) {
            Ok(pair) => match lower::Lower::at(file, start).script(pair) {
                Ok(script) => items.extend(script.items),
                Err(err) => errors.push(err),
            },
            Err(err) => errors.push(err.moved_into(text, start, end)),
        }
    }
    if errors.is_empty() {
        Ok(Script { file, items })
    } else {
        Err(errors)
    }
}

/// Where the items of a script start: the beginning, and every line that starts, at its
/// first column, the way only an item can (`app `, `workflow `, `on `, `sync `, `scenario `,
/// `engine `, or `Name owns `). Splitting there lets a mistake in one item (a `}` never
/// written) leave the items after it to be read on their own. The exceptions are `on` as the
/// first thing in a workflow's braces (the workflow's trigger, not a one-liner) and the
/// scenario step `app NAME refuses writes` (or `takes writes`).
fn item_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    // The last three tokens of code, to know `workflow NAME {` just before.
    let mut last: [&str; 3] = [""; 3];
    for token in scan::tokens(text) {
        if !token.is_significant() {
            continue;
        }
        let word = &text[token.start..token.end];
        let at_line_start = token.start > 0 && text[..token.start].ends_with(['\n', '\r']);
        if at_line_start && token.kind == scan::Kind::Word {
            let rest = &text[token.end..];
            let opens_item = words::has_role(word, &[Role::Item]) && rest.starts_with(' ');
            let owns = {
                let after = rest.trim_start();
                rest.starts_with(char::is_whitespace)
                    && after.starts_with("owns")
                    && after["owns".len()..].starts_with(' ')
            };
            let trigger_of_workflow = word == "on" && last[0] == "workflow" && last[2] == "{";
            // `app Crm refuses writes` is a scenario step, not an app.
            let app_writes = word == "app"
                && matches!(rest.split_whitespace().nth(1), Some("refuses" | "takes"));
            if (opens_item || owns) && !trigger_of_workflow && !app_writes {
                starts.push(token.start);
            }
        }
        last = [last[1], last[2], word];
    }
    starts
}

/// Parses one REPL entry: an item, a user step or `expect`, or an expression.
pub fn parse_repl_entry(file: FileId, text: &str) -> Result<ReplEntry, SyntaxError> {
    let pair = parse_rule(Rule::repl_entry, file, text)?;
    lower::Lower::new(file).repl_entry(pair)
}

/// Whether `text` is a prefix of some valid REPL entry: the input ended early (an open `{`,
/// a trailing `do`, an unfinished text) rather than going wrong. The REPL then asks for more.
pub fn is_incomplete(text: &str) -> bool {
    match parse_repl_entry(0, text) {
        Ok(_) => false,
        Err(err) => err.at_end_of_input,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_carriage_return_ends_a_comment() {
        // Old Mac files end lines with `\r` alone; a comment must not swallow what follows.
        let text =
            "# a comment\rapp A { thing { x: number } }\ron new thing in A do notify \"hi\"\r";
        let script = parse_script(0, text).expect("the script parses");
        assert_eq!(script.items.len(), 2);
        // The formatter, given the text as it is, keeps the comment to its line.
        let formatted = crate::fmt::format(&script, text);
        assert!(
            formatted.starts_with("# a comment\napp A {") && formatted.contains("notify \"hi\""),
            "{formatted:?}"
        );
    }

    #[test]
    fn a_workflow_body_may_start_at_the_first_column() {
        // The trigger of an unindented workflow is not a one-liner of its own.
        let text = "app A { thing { x: number } }\napp B { thing { x: number } }\n\
                    workflow copy {\non new thing in A\ncreate thing in B { x: trigger.x }\n}\n\
                    workflow other { # the trigger follows\non new thing in B\nnotify \"hi\"\n}\n";
        let script = parse_script_all(0, text).expect("the script parses");
        assert_eq!(script.items.len(), 4);
        // A one-liner after an app whose `}` is missing is still read on its own.
        let errors = parse_script_all(
            0,
            "app A {\n  thing { x: number }\non new thing in A do notify \"x\"\non bad",
        )
        .expect_err("two mistakes");
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn a_closer_of_another_opener_names_the_opener_never_closed() {
        use crate::diagnostic::Report;
        let text = "workflow w {\n  on new order in Shop\n  notify text(total\n}\n";
        let err = parse_script(0, text).expect_err("a `(` is never closed");
        let opener = err.unclosed.expect("the opener is named");
        assert_eq!(opener.symbol, '(');
        assert_eq!(opener.span.start as usize, text.find('(').unwrap());
        let notes = err.report().notes;
        assert!(
            notes
                .iter()
                .any(|n| n.contains("add `)` to close the parenthesis")),
            "{notes:?}"
        );
    }

    #[test]
    fn a_chain_is_refused_before_it_is_a_tree_too_deep_to_walk() {
        let chain = vec!["x"; 50_000].join(" + ");
        let text = format!("on new thing in A do notify text({chain})");
        let err = parse_script(0, &text).expect_err("too long a chain");
        assert_eq!(err.code(), crate::codes::Code::E0002);
        let ok = vec!["x"; 127].join(" + ");
        assert!(parse_script(0, &format!("on new thing in A do notify text({ok})")).is_ok());
    }
}
