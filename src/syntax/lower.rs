//! Lowering: pest's parse tree to the spanned AST, one function per grammar rule. Keyword
//! tokens (the `kw_*` rules of the table of words, [`crate::words`]) are skipped; a span ends
//! at its last token, as the scanner ([`super::scan`]) finds it.

use std::sync::Arc;

use pest::iterators::Pair;

use super::Rule;
use super::error::{SyntaxError, SyntaxErrorKind};
use crate::ast::*;
use crate::span::{FileId, Span, Spanned};

pub struct Lower {
    pub(super) file: FileId,
    /// Where the text being lowered starts in its file (a script is parsed item by item).
    pub(super) offset: usize,
    pub(super) depth: u32,
    /// How many branches the step being lowered sits in.
    pub(super) steps_depth: u32,
}

pub(super) type Result<T> = std::result::Result<T, SyntaxError>;

/// Keywords carry no information once parsed; lowering looks past them.
fn is_keyword(rule: Rule) -> bool {
    rule == Rule::EOI || super::expected::is_keyword_rule(rule)
}

/// The children of a pair that carry meaning.
pub(super) fn parts(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

impl Lower {
    pub fn new(file: FileId) -> Lower {
        Lower::at(file, 0)
    }

    pub fn at(file: FileId, offset: usize) -> Lower {
        Lower {
            file,
            offset,
            depth: 0,
            steps_depth: 0,
        }
    }

    /// The pair's span without the white space and comments pest skips after an optional
    /// part that was absent.
    pub(super) fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        let text = span.as_str();
        let end = if text.ends_with(char::is_whitespace) || text.contains('#') {
            span.start() + super::scan::significant_len(text)
        } else {
            span.end()
        };
        Span::new(self.file, self.offset + span.start(), self.offset + end)
    }

    pub(super) fn name(&self, pair: Pair<'_, Rule>) -> Name {
        debug_assert_eq!(pair.as_rule(), Rule::ident);
        Spanned::new(Arc::from(pair.as_str()), self.span(&pair))
    }

    // ------------------------------------------------------------ entry points

    pub fn script(&mut self, pair: Pair<'_, Rule>) -> Result<Script> {
        let items = parts(pair).map(|p| self.item(p)).collect::<Result<_>>()?;
        Ok(Script {
            file: self.file,
            items,
        })
    }

    pub fn repl_entry(&mut self, pair: Pair<'_, Rule>) -> Result<ReplEntry> {
        let inner = parts(pair).next().expect("repl_entry holds one entry");
        Ok(match inner.as_rule() {
            Rule::expr => ReplEntry::Expr(self.expr(inner)?),
            Rule::user_create
            | Rule::user_update
            | Rule::user_delete
            | Rule::expect_loop
            | Rule::expect_runs
            | Rule::expect_notified
            | Rule::together
            | Rule::expect_count
            | Rule::clock_at
            | Rule::clock_advance
            | Rule::app_writes => ReplEntry::Step(self.scenario_step(inner)?),
            _ => ReplEntry::Item(self.item(inner)?),
        })
    }

    // ------------------------------------------------------------ items

    pub(super) fn item(&mut self, pair: Pair<'_, Rule>) -> Result<Item> {
        Ok(match pair.as_rule() {
            Rule::engine_decl => {
                let span = self.span(&pair);
                let label = parts(pair).next().expect("engine label");
                Item::Engine(EngineDecl {
                    label: self.name(label),
                    span,
                })
            }
            Rule::use_decl => {
                let span = self.span(&pair);
                let mut inner = parts(pair);
                let named = inner.next().expect("what a use names");
                let moved = self.moved(inner);
                let target = if named.as_rule() == Rule::plain_text {
                    let path_span = self.span(&named);
                    let path = named.into_inner().next().map_or("", |p| p.as_str());
                    UseTarget::File(Spanned::new(path.to_string(), path_span))
                } else {
                    UseTarget::Connector(self.name(named))
                };
                Item::Use(UseDecl {
                    target,
                    span,
                    moved,
                })
            }
            Rule::app_decl => Item::App(self.app(pair)),
            Rule::owns_decl => {
                let span = self.span(&pair);
                let mut inner = parts(pair);
                let app = self.name(inner.next().expect("owner app"));
                let entity = self.name(inner.next().expect("owned entity"));
                Item::Owns(OwnsDecl { app, entity, span })
            }
            Rule::workflow => Item::Workflow(self.workflow(pair)?),
            Rule::one_liner => Item::Workflow(self.one_liner(pair)?),
            Rule::sync_decl => Item::Sync(self.sync(pair)?),
            Rule::scenario => Item::Scenario(self.scenario(pair)?),
            rule => unreachable!("expected an item, found {rule:?}"),
        })
    }

    pub(super) fn app(&mut self, pair: Pair<'_, Rule>) -> AppDecl {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let name = self.name(inner.next().expect("app name"));
        let mut app = AppDecl {
            name,
            location: None,
            capabilities: Vec::new(),
            entities: Vec::new(),
            http: Vec::new(),
            calls: Vec::new(),
            webhooks: Vec::new(),
            polls: Vec::new(),
            span,
        };
        for member in inner {
            match member.as_rule() {
                Rule::app_location => app.location = Some(self.location(member)),
                Rule::reports_decl => {
                    for report in parts(member) {
                        let span = self.span(&report);
                        app.capabilities.push(match report.as_str() {
                            "actor" => Capability::ReportsActor(span),
                            "changes" => Capability::ReportsChanges(span),
                            other => unreachable!("expected actor or changes, found {other:?}"),
                        });
                    }
                }
                Rule::emits_decl => {
                    let kinds = parts(member).map(|k| self.event_kind(k)).collect();
                    app.capabilities.push(Capability::Emits(kinds));
                }
                Rule::limit_decl => {
                    for limit in parts(member) {
                        let rule = limit.as_rule();
                        let span = self.span(&limit);
                        let count = parts(limit)
                            .next()
                            .and_then(|c| c.as_str().parse().ok())
                            .unwrap_or(1);
                        app.capabilities.push(match rule {
                            Rule::limit_rate => Capability::PerSecond(Spanned::new(count, span)),
                            _ => Capability::AtOnce(Spanned::new(count, span)),
                        });
                    }
                }
                Rule::entity_decl => app.entities.push(self.entity(member)),
                Rule::http_decl => app.http.push(self.http(member)),
                Rule::call_decl => app.calls.push(self.call_decl(member)),
                Rule::webhooks_decl => app.webhooks.push(self.webhooks(member)),
                Rule::poll_decl => app.polls.push(self.poll(member)),
                rule => unreachable!("expected an app member, found {rule:?}"),
            }
        }
        app
    }

    pub(super) fn entity(&mut self, pair: Pair<'_, Rule>) -> EntityDecl {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let name = self.name(inner.next().expect("entity name"));
        let fields = inner.map(|field| self.field_decl(field)).collect();
        EntityDecl { name, fields, span }
    }

    pub(super) fn type_expr(&mut self, pair: Pair<'_, Rule>) -> Spanned<TypeExpr> {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let base = inner.next().expect("a base type");
        let mut ty = match base.as_rule() {
            Rule::list_type => {
                let element = parts(base).next().expect("list element type");
                TypeExpr::List(Box::new(self.type_expr(element).node))
            }
            Rule::record_type => TypeExpr::Record(
                parts(base)
                    .map(|field| {
                        let mut inner = parts(field);
                        let name = inner.next().expect("field name");
                        let name = Spanned::new(name.as_str().to_string(), self.span(&name));
                        let ty = self.type_expr(inner.next().expect("field type")).node;
                        (name, ty)
                    })
                    .collect(),
            ),
            Rule::choice_type => TypeExpr::Choice(
                parts(base)
                    .map(|choice| {
                        let span = self.span(&choice);
                        let text = choice.into_inner().next().map_or("", |p| p.as_str());
                        Spanned::new(text.to_string(), span)
                    })
                    .collect(),
            ),
            Rule::type_name => match base.as_str() {
                "text" => TypeExpr::Text,
                "number" => TypeExpr::Number,
                "bool" => TypeExpr::Bool,
                "time" => TypeExpr::Time,
                "duration" => TypeExpr::Duration,
                "stamp" => TypeExpr::Stamp,
                other => unreachable!("expected a type name, found {other:?}"),
            },
            rule => unreachable!("expected a type, found {rule:?}"),
        };
        if inner.next().is_some() {
            ty = TypeExpr::Optional(Box::new(ty));
        }
        Spanned::new(ty, span)
    }

    pub(super) fn event_kind(&self, pair: Pair<'_, Rule>) -> Spanned<EventKind> {
        let kind = pair
            .as_str()
            .parse()
            .unwrap_or_else(|other| unreachable!("expected an event kind, found {other:?}"));
        Spanned::new(kind, self.span(&pair))
    }

    // ------------------------------------------------------------ workflows

    pub(super) fn workflow(&mut self, pair: Pair<'_, Rule>) -> Result<Workflow> {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let name = self.name(inner.next().expect("workflow name"));
        let trigger = self.trigger(inner.next().expect("workflow trigger"))?;
        let steps = inner.map(|s| self.step(s)).collect::<Result<_>>()?;
        Ok(Workflow {
            name: Some(name),
            form: WorkflowForm::Block,
            trigger,
            steps,
            span,
        })
    }

    pub(super) fn one_liner(&mut self, pair: Pair<'_, Rule>) -> Result<Workflow> {
        let span = self.span(&pair);
        // The `unless` keyword is kept in view here: the guard's span starts with it.
        let mut inner = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::kw_unless || !is_keyword(p.as_rule()));
        let trigger = self.trigger(inner.next().expect("one-liner trigger"))?;
        let mut actions = Vec::new();
        let mut guard = None;
        let mut unless_at = None;
        for part in inner {
            match part.as_rule() {
                Rule::kw_unless => unless_at = Some(self.span(&part)),
                Rule::expr => {
                    let condition = self.expr(part)?;
                    guard = Some(Step {
                        span: unless_at.map_or(condition.span, |k| k.to(condition.span)),
                        kind: StepKind::Unless(condition),
                        limit: None,
                    });
                }
                _ => actions.push(self.step(part)?),
            }
        }
        let steps = guard.into_iter().chain(actions).collect();
        Ok(Workflow {
            name: None,
            form: WorkflowForm::OneLine,
            trigger,
            steps,
            span,
        })
    }

    pub(super) fn trigger(&mut self, pair: Pair<'_, Rule>) -> Result<Trigger> {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let first = inner.next().expect("trigger kind");
        let mut trigger = if first.as_rule() == Rule::schedule {
            let every = Name::new(Arc::from("every"), self.span(&first));
            let kind = Spanned::new(EventKind::New, every.span);
            Trigger {
                schedule: Some(Box::new(self.schedule(first))),
                ..bare_trigger(kind, every.clone(), every, span)
            }
        } else if first.as_rule() == Rule::timer {
            self.timer(first, span)?
        } else if first.as_rule() == Rule::conflict_in {
            let kind = Spanned::new(EventKind::Updated, self.span(&first));
            let sync = self.name(parts(first).next().expect("sync name"));
            Trigger {
                conflict: Some(sync.clone()),
                ..bare_trigger(kind, sync.clone(), sync, span)
            }
        } else if first.as_rule() == Rule::failed_run {
            let kind = Spanned::new(EventKind::Updated, self.span(&first));
            let words = Name::new(Arc::from("failed run"), kind.span);
            let (workflow, failed) = match parts(first).next() {
                Some(name) => {
                    let name = self.name(name);
                    (name.clone(), FailedRuns::Of(name))
                }
                None => (words, FailedRuns::Any),
            };
            Trigger {
                failed: Some(failed),
                ..bare_trigger(kind, workflow.clone(), workflow, span)
            }
        } else {
            let kind = self.event_kind(first);
            let entity = self.name(inner.next().expect("trigger entity"));
            let app = self.name(inner.next().expect("trigger app"));
            bare_trigger(kind, entity, app, span)
        };
        for part in inner {
            match part.as_rule() {
                Rule::changing => trigger.changing = parts(part).map(|f| self.name(f)).collect(),
                Rule::where_clause => trigger.condition = Some(self.where_clause(part)?),
                Rule::rate_limit => trigger.limit = Some(Box::new(self.rate_limit(part)?)),
                rule => unreachable!("expected `changing`, `where` or `at most`, found {rule:?}"),
            }
        }
        Ok(trigger)
    }

    /// `at most once per 60s per device`.
    fn rate_limit(&mut self, pair: Pair<'_, Rule>) -> Result<RateLimit> {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let window = inner.next().expect("rate limit window");
        let window = Spanned::new(self.duration(window.clone())?, self.span(&window));
        let per = inner.next().map(|field| self.name(field));
        Ok(RateLimit { window, per, span })
    }

    pub(super) fn where_clause(&mut self, pair: Pair<'_, Rule>) -> Result<Expr> {
        self.expr(parts(pair).next().expect("where condition"))
    }

    pub(super) fn step(&mut self, pair: Pair<'_, Rule>) -> Result<Step> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::unless_step => {
                StepKind::Unless(self.expr(parts(pair).next().expect("condition"))?)
            }
            Rule::continue_step => {
                StepKind::ContinueIf(self.expr(parts(pair).next().expect("condition"))?)
            }
            Rule::let_step => {
                let mut inner = parts(pair);
                let name = self.name(inner.next().expect("let name"));
                let value = inner.next().expect("let value");
                if value.as_rule() == Rule::call_value {
                    StepKind::Call(Some(name), self.call_use(value)?)
                } else {
                    StepKind::Let(name, self.expr(value)?)
                }
            }
            Rule::call_step => {
                let value = parts(pair).next().expect("a call");
                StepKind::Call(None, self.call_use(value)?)
            }
            Rule::branch_step => StepKind::Branch(self.branch(pair)?),
            Rule::for_step => StepKind::For(self.for_each(pair)?),
            Rule::wait_step => self.wait(pair)?,
            Rule::bind_step => {
                let mut inner = parts(pair);
                let name = self.name(inner.next().expect("let name"));
                let action = self.action(inner.next().expect("create"))?;
                StepKind::Bind(name, action)
            }
            Rule::lookup_step => {
                let mut inner = parts(pair);
                let name = self.name(inner.next().expect("let name"));
                let lookup = self.lookup(inner.next().expect("lookup"))?;
                StepKind::Lookup(name, lookup)
            }
            Rule::limited_step => {
                let mut inner = parts(pair);
                let action = inner.next().expect("a limited action");
                let limit = self.rate_limit(inner.next().expect("its rate limit"))?;
                return Ok(Step {
                    span: self.span(&action),
                    kind: StepKind::Action(self.action(action)?),
                    limit: Some(Box::new(limit)),
                });
            }
            _ => StepKind::Action(self.action(pair)?),
        };
        Ok(Step {
            kind,
            span,
            limit: None,
        })
    }

    pub(super) fn action(&mut self, pair: Pair<'_, Rule>) -> Result<Action> {
        let rule = pair.as_rule();
        let mut inner = parts(pair).peekable();
        if rule == Rule::notify {
            let first = inner.next().expect("notify message");
            return Ok(match inner.next() {
                Some(message) => {
                    let channel = parts(first).next().expect("channel text");
                    Action::Notify {
                        channel: Some(self.expr_atom(channel)?),
                        message: self.expr(message)?,
                    }
                }
                None => Action::Notify {
                    channel: None,
                    message: self.expr(first)?,
                },
            });
        }
        // `create [entity] in App`: with one name it is the app, with two the entity comes first.
        let first = self.name(inner.next().expect("action target"));
        let (entity, app) = match inner.peek().map(|p| p.as_rule()) {
            Some(Rule::ident) => (Some(first), self.name(inner.next().expect("app name"))),
            _ => (None, first),
        };
        Ok(match rule {
            Rule::create => Action::Create {
                entity,
                app,
                fields: inner.next().map(|b| self.field_block(b)).transpose()?,
            },
            Rule::update => Action::Update {
                entity,
                app,
                target: self.target(inner.next().expect("update target"))?,
                fields: self.field_block(inner.next().expect("update fields"))?,
            },
            Rule::delete => Action::Delete {
                entity,
                app,
                target: self.target(inner.next().expect("delete target"))?,
            },
            Rule::upsert => {
                let key = parts(inner.next().expect("upsert key"))
                    .next()
                    .expect("key field");
                Action::Upsert {
                    entity: entity.expect("the grammar names an upsert's entity"),
                    app,
                    key: self.name(key),
                    fields: self.field_block(inner.next().expect("upsert fields"))?,
                }
            }
            rule => unreachable!("expected an action, found {rule:?}"),
        })
    }

    pub(super) fn target(&mut self, pair: Pair<'_, Rule>) -> Result<Target> {
        Ok(match pair.as_rule() {
            Rule::linked => Target::Linked(self.span(&pair)),
            Rule::where_clause => Target::Where(self.where_clause(pair)?),
            rule => unreachable!("expected `linked` or `where`, found {rule:?}"),
        })
    }

    pub(super) fn field_block(&mut self, pair: Pair<'_, Rule>) -> Result<Vec<FieldInit>> {
        parts(pair)
            .map(|init| {
                let mut inner = parts(init);
                let name = self.name(inner.next().expect("field name"));
                let value = self.expr(inner.next().expect("field value"))?;
                Ok(FieldInit { name, value })
            })
            .collect()
    }

    // ------------------------------------------------------------ sync

    pub(super) fn sync(&mut self, pair: Pair<'_, Rule>) -> Result<SyncDecl> {
        let span = self.span(&pair);
        let mut inner = parts(pair).peekable();
        let mut names = Vec::new();
        while let Some(name) = inner.next_if(|p| p.as_rule() == Rule::ident) {
            names.push(self.name(name));
        }
        let mut names = names.into_iter();
        let entity = names.next().expect("sync entity");
        let left = names.next().expect("sync left app");
        let (right_entity, right) = match (names.next(), names.next()) {
            (Some(right_entity), Some(right)) => (Some(right_entity), right),
            (Some(right), None) => (None, right),
            other => unreachable!("expected the synced apps, found {other:?}"),
        };
        let mut sync = SyncDecl {
            entity,
            left,
            right,
            right_entity,
            matching: None,
            mappings: Vec::new(),
            prefer: None,
            span,
            name: None,
        };
        for member in inner {
            match member.as_rule() {
                Rule::mapping => {
                    let mut parts = parts(member);
                    let left = self.map_end(parts.next().expect("left side"))?;
                    let arrow = parts.next().expect("direction");
                    let direction = match arrow.as_str() {
                        "<->" => Direction::Both,
                        "->" => Direction::LeftToRight,
                        "<-" => Direction::RightToLeft,
                        other => unreachable!("expected an arrow, found {other:?}"),
                    };
                    let direction = Spanned::new(direction, self.span(&arrow));
                    let right = self.map_end(parts.next().expect("right side"))?;
                    let values = parts.next().map(|map| self.value_map(map)).transpose()?;
                    sync.mappings.push(Mapping {
                        left,
                        direction,
                        right,
                        values,
                    });
                }
                Rule::prefer => {
                    let span = self.span(&member);
                    let choice = parts(member).next().expect("preference");
                    let prefer = match choice.as_rule() {
                        Rule::prefer_latest => Prefer::Latest,
                        _ => Prefer::App(self.name(choice)),
                    };
                    sync.prefer = Some(Spanned::new(prefer, span));
                }
                Rule::sync_name => {
                    let name = parts(member).next().expect("sync name");
                    sync.name = Some(self.name(name));
                }
                Rule::sync_match => {
                    let field = parts(member).next().expect("matched field");
                    sync.matching = Some(self.name(field));
                }
                rule => unreachable!("expected a mapping or `prefer`, found {rule:?}"),
            }
        }
        Ok(sync)
    }

    /// A side of a mapping: a bare name is a field, anything else is computed.
    fn map_end(&mut self, pair: Pair<'_, Rule>) -> Result<MapEnd> {
        if pair.as_rule() == Rule::ident {
            return Ok(MapEnd::Field(self.name(pair)));
        }
        let e = self.expr(pair)?;
        Ok(match e.kind {
            ExprKind::Name(name) => MapEnd::Field(Spanned::new(name, e.span)),
            _ => MapEnd::Computed(e),
        })
    }

    fn value_map(&mut self, pair: Pair<'_, Rule>) -> Result<ValueMap> {
        let span = self.span(&pair);
        let mut map = ValueMap {
            pairs: Vec::new(),
            otherwise: None,
            span,
        };
        for part in parts(pair) {
            match part.as_rule() {
                Rule::value_pair => {
                    let mut sides = part.into_inner();
                    let left = self.expr_atom(sides.next().expect("left value"))?;
                    let right = self.expr_atom(sides.next().expect("right value"))?;
                    map.pairs.push((left, right));
                }
                _ => map.otherwise = Some(self.expr_atom(part)?),
            }
        }
        Ok(map)
    }

    // ------------------------------------------------------------ scenarios

    pub(super) fn scenario(&mut self, pair: Pair<'_, Rule>) -> Result<Scenario> {
        let span = self.span(&pair);
        let mut inner = parts(pair).peekable();
        let title = inner.next().expect("scenario name");
        let title_span = self.span(&title);
        let name = self.plain_text_of(title)?;
        let at = match inner.peek().map(|p| p.as_rule()) {
            Some(Rule::expr | Rule::time_lit) => {
                Some(self.clock_time(inner.next().expect("scenario time"))?)
            }
            _ => None,
        };
        let steps = inner
            .map(|s| self.scenario_step(s))
            .collect::<Result<_>>()?;
        Ok(Scenario {
            name: Spanned::new(name, title_span),
            at,
            steps,
            span,
        })
    }

    /// A time after `at`: written bare (`2030-05-01T08:00`) or any expression.
    fn clock_time(&mut self, pair: Pair<'_, Rule>) -> Result<Expr> {
        match pair.as_rule() {
            Rule::time_lit => Ok(Expr {
                span: self.span(&pair),
                kind: ExprKind::Time(Arc::from(pair.as_str())),
            }),
            _ => self.expr(pair),
        }
    }

    /// The text of a literal that must not interpolate (a scenario's name).
    pub(super) fn plain_text_of(&mut self, pair: Pair<'_, Rule>) -> Result<String> {
        let span = self.span(&pair);
        let mut out = String::new();
        for part in self.text_parts(pair)? {
            match part {
                TextPart::Literal(text) => out.push_str(&text),
                TextPart::Interpolation(expr) => {
                    return Err(SyntaxError::custom(
                        expr.span,
                        SyntaxErrorKind::InterpolationInName,
                    )
                    .with_context(span));
                }
            }
        }
        Ok(out)
    }

    pub(super) fn count(&self, pair: Pair<'_, Rule>) -> Result<Spanned<u64>> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().expect("a count");
        let value = match inner.as_rule() {
            Rule::no => 0,
            _ => inner.as_str().parse().map_err(|_| {
                SyntaxError::custom(
                    span,
                    SyntaxErrorKind::NumberTooLarge {
                        limit: "counts go up to 18446744073709551615",
                    },
                )
            })?,
        };
        Ok(Spanned::new(value, span))
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one arm per grammar rule of a scenario step, as lowering is one function per rule"
    )]
    pub fn scenario_step(&mut self, pair: Pair<'_, Rule>) -> Result<ScenarioStep> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            Rule::user_create | Rule::user_update | Rule::user_delete => {
                let mut inner = parts(pair);
                let entity = self.name(inner.next().expect("entity"));
                let app = self.name(inner.next().expect("app"));
                match rule {
                    Rule::user_create => ScenarioStepKind::UserCreates {
                        entity,
                        app,
                        fields: self.field_block(inner.next().expect("fields"))?,
                    },
                    Rule::user_update => ScenarioStepKind::UserUpdates {
                        entity,
                        app,
                        condition: self.where_clause(inner.next().expect("condition"))?,
                        fields: self.field_block(inner.next().expect("fields"))?,
                    },
                    _ => ScenarioStepKind::UserDeletes {
                        entity,
                        app,
                        condition: self.where_clause(inner.next().expect("condition"))?,
                    },
                }
            }
            Rule::expect_loop => {
                let negated = parts(pair).any(|p| p.as_rule() == Rule::no);
                ScenarioStepKind::ExpectLoop(!negated)
            }
            Rule::expect_runs => {
                let mut inner = parts(pair);
                let reference = inner.next().expect("workflow reference");
                let reference_span = self.span(&reference);
                let target = reference
                    .into_inner()
                    .next()
                    .expect("workflow name or line");
                let workflow = match target.as_rule() {
                    Rule::line_ref => {
                        let line = target.into_inner().next().expect("line number");
                        let number = line.as_str().parse().map_err(|_| {
                            SyntaxError::custom(
                                self.span(&line),
                                SyntaxErrorKind::NumberTooLarge {
                                    limit: "line numbers go up to 4294967295",
                                },
                            )
                        })?;
                        WorkflowRef::Line(number)
                    }
                    _ => WorkflowRef::Named(Arc::from(target.as_str())),
                };
                ScenarioStepKind::ExpectRuns {
                    workflow: Spanned::new(workflow, reference_span),
                    count: self.count(inner.next().expect("run count"))?,
                }
            }
            Rule::expect_notified => {
                ScenarioStepKind::ExpectNotified(self.count(parts(pair).next().expect("count"))?)
            }
            Rule::expect_count => {
                let mut inner = parts(pair);
                let count = self.count(inner.next().expect("count"))?;
                let entity = self.name(inner.next().expect("entity"));
                let app = self.name(inner.next().expect("app"));
                let condition = inner.next().map(|w| self.where_clause(w)).transpose()?;
                ScenarioStepKind::ExpectCount {
                    count,
                    entity,
                    app,
                    condition,
                }
            }
            Rule::together => ScenarioStepKind::Together(
                parts(pair)
                    .map(|step| self.scenario_step(step))
                    .collect::<Result<_>>()?,
            ),
            Rule::clock_at => {
                ScenarioStepKind::At(self.clock_time(parts(pair).next().expect("a time"))?)
            }
            Rule::clock_advance => {
                ScenarioStepKind::Advance(self.expr(parts(pair).next().expect("a duration"))?)
            }
            Rule::app_writes => {
                let mut inner = parts(pair);
                let app = self.name(inner.next().expect("an app"));
                let refuses = inner.next().is_some_and(|p| p.as_rule() == Rule::refuses);
                ScenarioStepKind::AppWrites { app, refuses }
            }
            rule => unreachable!("expected a scenario step, found {rule:?}"),
        };
        Ok(ScenarioStep { kind, span })
    }
}

/// `on KIND ENTITY in APP` with nothing more: no schedule, sync, failed runs, timer or limit.
pub(super) fn bare_trigger(
    kind: Spanned<EventKind>,
    entity: Name,
    app: Name,
    span: Span,
) -> Trigger {
    Trigger {
        kind,
        entity,
        app,
        changing: Vec::new(),
        condition: None,
        span,
        conflict: None,
        schedule: None,
        limit: None,
        failed: None,
        timer: None,
    }
}
