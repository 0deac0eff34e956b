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

mod error;
mod expected;
mod expr;
mod lower;
mod steps;

use std::sync::Mutex;

use pest::Parser;

use crate::ast::{ReplEntry, Script};
use crate::span::FileId;

pub use error::{Expected, SyntaxError, open_brackets};
pub use expected::ITEM_WORDS;

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
/// `engine `, or `Name owns `).
fn item_starts(text: &str) -> Vec<usize> {
    const OPENERS: &[&str] = &["app ", "workflow ", "on ", "sync ", "scenario ", "engine "];
    let mut starts = vec![0];
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let owns = {
            let name_end = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(0);
            name_end > 0 && line[name_end..].trim_start().starts_with("owns ")
        };
        if at > 0 && (OPENERS.iter().any(|o| line.starts_with(o)) || owns) {
            starts.push(at);
        }
        at += line.len();
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
    fn a_chain_is_refused_before_it_is_a_tree_too_deep_to_walk() {
        let chain = vec!["x"; 50_000].join(" + ");
        let text = format!("on new thing in A do notify text({chain})");
        let err = parse_script(0, &text).expect_err("too long a chain");
        assert_eq!(err.code(), crate::codes::Code::E0002);
        let ok = vec!["x"; 127].join(" + ");
        assert!(parse_script(0, &format!("on new thing in A do notify text({ok})")).is_ok());
    }
}
