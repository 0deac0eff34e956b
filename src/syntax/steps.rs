//! Lowering of the steps that hold other steps or read apps: branches, `for` and lookups.

use pest::iterators::Pair;

use super::Rule;
use super::error::{SyntaxError, SyntaxErrorKind};
use super::lower::{Lower, Result, parts};
use crate::ast::*;
use crate::span::Span;

/// The most branches one step may sit in: far beyond what a person writes, well within what
/// the checker and the interpreter walk.
const MAX_STEPS_DEPTH: u32 = 32;

impl Lower {
    /// `if C { … } else if C { … } else { … }`. Branches nested without end are refused before
    /// anything walks them.
    pub(super) fn branch(&mut self, pair: Pair<'_, Rule>) -> Result<Branch> {
        self.enter_steps(&pair, "if")?;
        let mut arms = Vec::new();
        let mut otherwise = None;
        for part in parts(pair) {
            match part.as_rule() {
                Rule::branch_arm => {
                    let mut inner = parts(part);
                    let condition = self.expr(inner.next().expect("arm condition"))?;
                    let block = self.block(inner.next().expect("arm steps"))?;
                    arms.push(Arm { condition, block });
                }
                Rule::else_arm => {
                    otherwise = Some(self.block(parts(part).next().expect("else steps"))?);
                }
                rule => unreachable!("expected an `if` or `else` arm, found {rule:?}"),
            }
        }
        self.steps_depth -= 1;
        Ok(Branch { arms, otherwise })
    }

    /// `for NAME in LIST { … }`: nested like a branch, and bounded with branches.
    pub(super) fn for_each(&mut self, pair: Pair<'_, Rule>) -> Result<ForEach> {
        self.enter_steps(&pair, "for")?;
        let mut inner = parts(pair);
        let item = self.name(inner.next().expect("for item"));
        let list = self.expr(inner.next().expect("for list"))?;
        let block = self.block(inner.next().expect("for steps"))?;
        self.steps_depth -= 1;
        Ok(ForEach { item, list, block })
    }

    /// One level deeper in steps that hold steps, refused past [`MAX_STEPS_DEPTH`] at the
    /// step's first word; the caller steps back out when done.
    fn enter_steps(&mut self, pair: &Pair<'_, Rule>, keyword: &'static str) -> Result<()> {
        if self.steps_depth >= MAX_STEPS_DEPTH {
            let span = self.span(pair);
            let head = Span {
                end: span.start + keyword.len() as u32,
                ..span
            };
            return Err(SyntaxError::custom(
                head,
                SyntaxErrorKind::StepsTooDeep {
                    limit: MAX_STEPS_DEPTH,
                    keyword,
                },
            ));
        }
        self.steps_depth += 1;
        Ok(())
    }

    /// `find|every|exists|count ENTITY in APP [where C] [ordered by FIELD [desc]]`.
    pub(super) fn lookup(&mut self, pair: Pair<'_, Rule>) -> Result<Lookup> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = parts(pair);
        let entity = self.name(inner.next().expect("lookup entity"));
        let app = self.name(inner.next().expect("lookup app"));
        let mut condition = None;
        let mut order = None;
        for part in inner {
            match part.as_rule() {
                Rule::where_clause => condition = Some(self.where_clause(part)?),
                Rule::ordered_by => {
                    let mut words = parts(part);
                    let field = self.name(words.next().expect("order field"));
                    order = Some(Order {
                        field,
                        descending: words.next().is_some(),
                    });
                }
                rule => unreachable!("expected `where` or `ordered by`, found {rule:?}"),
            }
        }
        let kind = match rule {
            Rule::find_lookup => LookupKind::Find(order),
            Rule::every_lookup => LookupKind::Every(order),
            Rule::exists_lookup => LookupKind::Exists,
            Rule::count_lookup => LookupKind::Count,
            rule => unreachable!("expected a lookup, found {rule:?}"),
        };
        Ok(Lookup {
            kind,
            entity,
            app,
            condition,
            span,
        })
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Result<Block> {
        let span = self.span(&pair);
        let steps = parts(pair).map(|s| self.step(s)).collect::<Result<_>>()?;
        Ok(Block { steps, span })
    }
}
