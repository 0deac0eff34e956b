//! Acknowledged warnings: a comment `# weir: allow W0404` on the lines just above a workflow
//! or a `sync` silences that warning for that item, and only there.
//!
//! ```text
//! # weir: allow W0404          two apps may both edit status: acknowledged
//! workflow status_to_jira { … }
//!
//! # weir: allow W0440          W0004: no such warning (did you mean W0404?)
//! ```
//!
//! A directive is a comment, so the grammar does not change and older tools read the script as
//! before. Errors cannot be allowed, and a directive that silences nothing is itself a warning
//! (W0004), so an acknowledgement cannot outlive the warning it was written for unseen.

use crate::ast::{Item, Script};
use crate::codes::{Code, Level};
use crate::diagnostic::{self, Diagnostic, Report, help, primary, secondary};
use crate::source::SourceMap;
use crate::span::Span;

/// One `# weir: allow …` comment.
#[derive(Clone, Debug)]
struct Directive {
    span: Span,
    codes: Vec<(String, Span)>,
    /// The workflow or sync below it, and that item's first line.
    item: Option<(Span, Span)>,
}

/// What is wrong with a directive (W0004).
#[derive(Clone, Debug)]
pub enum AllowProblem {
    UnknownCode {
        span: Span,
        code: String,
        suggestion: Option<Code>,
    },
    Error {
        span: Span,
        code: Code,
    },
    NoItem {
        span: Span,
    },
    Unused {
        span: Span,
        code: Code,
        item: Span,
    },
}

/// The diagnostics left after directives are applied, the warnings they acknowledged, and
/// what is wrong with the directives themselves.
pub struct Applied {
    pub diagnostics: Vec<Diagnostic>,
    pub acknowledged: Vec<Diagnostic>,
}

/// Applies every directive of the scripts to their diagnostics.
pub fn apply(sources: &SourceMap, scripts: &[Script], diagnostics: Vec<Diagnostic>) -> Applied {
    let directives: Vec<Directive> = scripts
        .iter()
        .flat_map(|s| directives(sources, s))
        .collect();
    // With errors the flow pass may not have run, so a warning's absence proves nothing.
    let complete = !diagnostic::has_errors(&diagnostics);
    let mut used = vec![false; directives.iter().map(|d| d.codes.len()).sum()];
    let mut kept = Vec::new();
    let mut acknowledged = Vec::new();
    for d in diagnostics {
        let at = d.code.as_deref().and_then(Code::parse).and_then(|code| {
            if code.level() != Level::Warning {
                return None;
            }
            let mut index = 0;
            for directive in &directives {
                for (text, _) in &directive.codes {
                    if Code::parse(text) == Some(code)
                        && directive
                            .item
                            .is_some_and(|(item, _)| points_into(&d, item))
                    {
                        return Some(index);
                    }
                    index += 1;
                }
            }
            None
        });
        match at {
            Some(i) => {
                used[i] = true;
                acknowledged.push(d);
            }
            None => kept.push(d),
        }
    }
    let mut problems = Vec::new();
    let mut index = 0;
    for directive in &directives {
        for (text, span) in &directive.codes {
            let span = *span;
            let problem = match (Code::parse(text), directive.item) {
                (None, _) => Some(AllowProblem::UnknownCode {
                    span,
                    code: text.clone(),
                    suggestion: closest_warning(text),
                }),
                (Some(code), _) if code.level() != Level::Warning => {
                    Some(AllowProblem::Error { span, code })
                }
                (Some(_), None) => Some(AllowProblem::NoItem {
                    span: directive.span,
                }),
                (Some(code), Some((_, item))) if complete && !used[index] => {
                    Some(AllowProblem::Unused { span, code, item })
                }
                _ => None,
            };
            problems.extend(problem);
            index += 1;
        }
    }
    kept.extend(problems.iter().map(Report::report));
    Applied {
        diagnostics: kept,
        acknowledged,
    }
}

/// Whether any of a diagnostic's labels points inside an item.
fn points_into(d: &Diagnostic, item: Span) -> bool {
    let range = item.range();
    d.labels
        .iter()
        .any(|l| l.file_id == item.file && l.range.start >= range.start && l.range.end <= range.end)
}

fn closest_warning(text: &str) -> Option<Code> {
    let warnings = Code::ALL.iter().filter(|c| c.level() == Level::Warning);
    let name = crate::suggest::closest(text, warnings.clone().map(|c| c.as_str()))?;
    Code::parse(name)
}

/// The directives of one script, each with the workflow or sync it stands above.
fn directives(sources: &SourceMap, script: &Script) -> Vec<Directive> {
    let text = sources.text(script.file);
    let file = script.file;
    let items: Vec<Span> = script
        .items
        .iter()
        .filter(|i| matches!(i, Item::Workflow(_) | Item::Sync(_)))
        .map(Item::span)
        .collect();
    let mut found = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let Some(rest) = trimmed
            .strip_prefix('#')
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix("weir:"))
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix("allow"))
        else {
            continue;
        };
        let rest_at = start + line.len() - rest.len();
        let mut codes = Vec::new();
        let mut at = rest_at;
        for word in rest.split_inclusive([',', ' ', '\t', '\n', '\r']) {
            let code = word.trim_matches([',', ' ', '\t', '\n', '\r']);
            // Codes come first; the first word that is not one starts a free-text reason.
            let code_like = code.len() <= 6
                && code.starts_with(|c: char| c.is_ascii_alphabetic())
                && code.chars().skip(1).all(|c| c.is_ascii_digit())
                && code.len() > 1;
            if !code.is_empty() && !code_like {
                break;
            }
            if !code.is_empty() {
                let code_start = at + word.find(code).unwrap_or(0);
                codes.push((
                    code.to_string(),
                    Span::new(file, code_start, code_start + code.len()),
                ));
            }
            at += word.len();
        }
        let line_start = start + line.len() - trimmed.len();
        let span = Span::new(file, line_start, start + line.trim_end().len());
        // The item that starts after this line with only blank lines and comments between.
        let item = items
            .iter()
            .copied()
            .find(|item| {
                item.range().start >= offset
                    && text[offset..item.range().start]
                        .lines()
                        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
            })
            .map(|item| {
                let range = item.range();
                let head = text[range.clone()]
                    .find('\n')
                    .map_or(range.end, |n| range.start + n);
                (item, Span::new(file, range.start, head))
            });
        found.push(Directive { span, codes, item });
    }
    found
}

impl Report for AllowProblem {
    fn report(&self) -> Diagnostic {
        let (message, labels, notes) = match self {
            AllowProblem::UnknownCode {
                span,
                code,
                suggestion,
            } => (
                format!("`{code}` is not a warning weir gives"),
                vec![primary(*span, "no such code")],
                vec![help(match suggestion {
                    Some(s) => format!("did you mean `{s}`? ({})", s.summary()),
                    None => {
                        "name a warning code, such as `W0404`; `weir explain CODE` describes each"
                            .to_string()
                    }
                })],
            ),
            AllowProblem::Error { span, code } => (
                format!("`{code}` is an error, and errors cannot be allowed"),
                vec![primary(*span, "only warnings can be acknowledged")],
                vec![help(format!(
                    "fix what `{code}` reports (`weir explain {code}`), and remove `{code}` from this line"
                ))],
            ),
            AllowProblem::NoItem { span } => (
                "this `allow` stands above no workflow or sync".to_string(),
                vec![primary(*span, "acknowledges nothing here")],
                vec![help(
                    "put the comment on the lines just above the `workflow` or `sync` it is about",
                )],
            ),
            AllowProblem::Unused { span, code, item } => (
                format!("`{code}` is allowed here, but this item does not give it"),
                vec![
                    primary(*span, "allows nothing"),
                    secondary(*item, "this item has no such warning"),
                ],
                vec![help(format!(
                    "remove `{code}` from this line: what it acknowledged is gone"
                ))],
            ),
        };
        diagnostic::new(Code::W0004, message)
            .with_labels(labels)
            .with_notes(notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives_of(text: &str) -> Vec<Directive> {
        let loaded = crate::load::parse_all(vec![("t.weir".into(), text.into())]);
        assert!(loaded.diagnostics.is_empty(), "the script parses");
        directives(&loaded.sources, &loaded.scripts[0])
    }

    #[test]
    fn codes_come_first_and_a_reason_may_follow() {
        let found = directives_of(
            "# weir: allow W0404, W0306 (reviewed W0101)\n\n# why\nworkflow w {\n  on new a in A\n  notify \"x\" \"y\"\n}\n",
        );
        let codes: Vec<&str> = found[0].codes.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["W0404", "W0306"]);
        assert!(found[0].item.is_some(), "the workflow below is the item");
    }

    #[test]
    fn a_directive_above_other_lines_stands_above_nothing() {
        let found = directives_of(
            "# weir: allow W0404\napp A { a { x: text } }\nworkflow w {\n  on new a in A\n  notify \"x\" \"y\"\n}\n",
        );
        assert!(found[0].item.is_none());
    }
}
