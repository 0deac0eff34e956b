//! Scenarios: user steps and expectations.

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Mismatch, Named};
use super::expr::{Scope, View};
use crate::ast::{self, ScenarioStepKind as AstStep, WorkflowRef};
use crate::program::*;
use crate::span::Spanned;
use crate::types::Type;

impl Checker<'_> {
    pub(super) fn scenario(&mut self, s: &ast::Scenario) {
        self.locals.clear();
        self.locals_used.clear();
        self.locals_hidden.clear();
        self.visible_locals = 0;
        self.later_lets.clear();
        self.narrowed.clear();
        let at = s.at.as_ref().map(|e| self.clock_time(e));
        let mut steps = Vec::new();
        for step in &s.steps {
            if let Some(kind) = self.scenario_step(&step.kind, step.span) {
                steps.push(ScenarioStep {
                    kind,
                    span: step.span,
                });
            }
        }
        self.program.scenarios.push(Scenario {
            name: Arc::from(s.name.node.as_str()),
            name_span: s.name.span,
            span: s.span,
            at,
            steps,
        });
    }

    /// Checks one scenario step (also used for steps typed at the REPL).
    pub(crate) fn scenario_step(
        &mut self,
        step: &AstStep,
        span: crate::span::Span,
    ) -> Option<ScenarioStepKind> {
        Some(match step {
            AstStep::UserCreates { .. }
            | AstStep::UserUpdates { .. }
            | AstStep::UserDeletes { .. } => self.user_step(step, span)?,
            AstStep::Together(steps) => ScenarioStepKind::Together(
                steps
                    .iter()
                    .filter_map(|step| {
                        let kind = self.scenario_step(&step.kind, step.span)?;
                        Some(ScenarioStep {
                            kind,
                            span: step.span,
                        })
                    })
                    .collect(),
            ),
            AstStep::ExpectCount {
                count,
                entity,
                app,
                condition,
            } => {
                let (app, entity) = self.record_target(app, entity)?;
                let condition = condition
                    .as_ref()
                    .map(|c| self.condition(c, record_scope(entity), "a `where` condition"));
                ScenarioStepKind::ExpectCount {
                    count: count.node,
                    app,
                    entity,
                    condition,
                }
            }
            AstStep::ExpectRuns { workflow, count } => ScenarioStepKind::ExpectRuns {
                workflow: self.expected_workflow(workflow, span)?,
                count: count.node,
            },
            AstStep::ExpectNotified(count) => ScenarioStepKind::ExpectNotified(count.node),
            AstStep::ExpectLoop(expected) => ScenarioStepKind::ExpectLoop(*expected),
            AstStep::At(time) => ScenarioStepKind::At(self.clock_time(time)),
            AstStep::AppWrites { app, refuses } => ScenarioStepKind::AppWrites {
                app: self.app(app),
                refuses: *refuses,
            },
            AstStep::Advance(by) => {
                let checked = self.expr(by, Scope::constant(), Some(&Type::Duration));
                self.require_fits(&checked, &Type::Duration, Mismatch::Advance);
                ScenarioStepKind::Advance(checked)
            }
        })
    }

    /// `user creates …`, `user updates …`, `user deletes …`: a change a user makes.
    fn user_step(&mut self, step: &AstStep, span: crate::span::Span) -> Option<ScenarioStepKind> {
        Some(match step {
            AstStep::UserCreates {
                entity,
                app,
                fields,
            } => {
                let (app, entity) = self.record_target(app, entity)?;
                let (fields, all_known) =
                    self.assignments_with_unknowns(entity, fields, Scope::constant());
                if all_known {
                    self.require_all_fields(entity, &fields, span, None);
                }
                ScenarioStepKind::UserCreates {
                    app,
                    entity,
                    fields,
                }
            }
            AstStep::UserUpdates {
                entity,
                app,
                condition,
                fields,
            } => {
                let (app, entity) = self.record_target(app, entity)?;
                let condition =
                    self.condition(condition, record_scope(entity), "a `where` condition");
                let fields = self.assignments(entity, fields, Scope::constant());
                ScenarioStepKind::UserUpdates {
                    app,
                    entity,
                    condition,
                    fields,
                }
            }
            AstStep::UserDeletes {
                entity,
                app,
                condition,
            } => {
                let (app, entity) = self.record_target(app, entity)?;
                let condition =
                    self.condition(condition, record_scope(entity), "a `where` condition");
                ScenarioStepKind::UserDeletes {
                    app,
                    entity,
                    condition,
                }
            }
            other => unreachable!("expected a user's step, found {other:?}"),
        })
    }

    /// The workflow `expect N runs of WORKFLOW` names, by name or by `line N` of the
    /// scenario's own file.
    fn expected_workflow(
        &mut self,
        workflow: &Spanned<WorkflowRef>,
        span: crate::span::Span,
    ) -> Option<WorkflowId> {
        let name: Arc<str> = Arc::from(workflow.node.to_string());
        let found = match &workflow.node {
            WorkflowRef::Named(n) => self.program.workflow_named(n),
            // `line N` of the scenario's own file.
            WorkflowRef::Line(line) => {
                let file = self.sources.name(span.file);
                self.program
                    .workflows
                    .iter()
                    .position(|w| {
                        w.one_liner
                            && self.sources.name(w.span.file) == file
                            && self.sources.line_of(w.trigger.span) == *line as usize
                    })
                    .map(WorkflowId)
            }
        };
        if found.is_none() {
            let known: Vec<Arc<str>> = self
                .program
                .workflows
                .iter()
                .map(|w| w.name.clone())
                .collect();
            let suggestion = match &workflow.node {
                WorkflowRef::Named(n) => {
                    crate::suggest::closest(n, known.iter().map(|k| &**k)).map(Arc::from)
                }
                WorkflowRef::Line(_) => None,
            };
            self.report(CheckError::UnknownWorkflow {
                name: Named {
                    text: name,
                    span: workflow.span,
                },
                suggestion,
            });
        }
        found
    }

    /// The time after `at`, in a scenario's header or as a step.
    fn clock_time(&mut self, e: &ast::Expr) -> Expr {
        let checked = self.expr(e, Scope::constant(), Some(&Type::Time));
        self.require_fits(&checked, &Type::Time, Mismatch::Clock);
        checked
    }

    fn record_target(&mut self, app: &ast::Name, entity: &ast::Name) -> Option<(AppId, EntityId)> {
        let app_id = self.app(app);
        let entity_id = self.entity(app_id, entity, app.span, false)?;
        Some((app_id, entity_id))
    }
}

fn record_scope(entity: EntityId) -> Scope {
    Scope {
        target: None,
        view: View::Record(entity),
        trigger: None,
    }
}
