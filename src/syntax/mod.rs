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

use std::sync::Mutex;

use pest::Parser;

use crate::ast::{Expr, ReplEntry, Script};
use crate::span::FileId;

pub use error::{Expected, SyntaxError};

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
            Err(error::from_pest(file, text, rule, detailed))
        }
    }
}

/// Parses a whole script.
pub fn parse_script(file: FileId, text: &str) -> Result<Script, SyntaxError> {
    let pair = parse_rule(Rule::script, file, text)?;
    lower::Lower::new(file).script(pair)
}

/// Parses one REPL entry: an item, a user step or `expect`, or an expression.
pub fn parse_repl_entry(file: FileId, text: &str) -> Result<ReplEntry, SyntaxError> {
    let pair = parse_rule(Rule::repl_entry, file, text)?;
    lower::Lower::new(file).repl_entry(pair)
}

/// Parses a single expression.
pub fn parse_expr(file: FileId, text: &str) -> Result<Expr, SyntaxError> {
    let pair = parse_rule(Rule::expr_only, file, text)?;
    lower::Lower::new(file).expr_only(pair)
}

/// Whether `text` is a prefix of some valid REPL entry: the input ended early (an open `{`,
/// a trailing `do`, an unfinished text) rather than going wrong. The REPL then asks for more.
pub fn is_incomplete(text: &str) -> bool {
    match parse_repl_entry(0, text) {
        Ok(_) => false,
        Err(err) => err.at_end_of_input,
    }
}
