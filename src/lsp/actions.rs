//! Code actions: the checker's fixes, one keystroke away.
//!
//! Each action is built from a finding's data, and only where the finding's `help:` proposes
//! that very change, so the editor never offers a fix the message does not: a misspelt name
//! replaced by the one `did you mean` names, the required fields a `create` misses (with the
//! trigger's field of the same name and type when there is one, or a placeholder value), and
//! the origin guard E0301 asks for, as a step of each workflow it names, and the `sync` that
//! replaces mirror workflows ([`super::sync_fix`]).

use lsp_types::*;

use super::Failure;
use super::analysis::Analysis;
use super::documents::Documents;
use crate::ast::WorkflowForm;
use crate::check::CheckError;
use crate::diagnostic::Report;
use crate::flow::{CycleFix, FlowError};
use crate::program::Program;
use crate::span::Span;
use crate::types::Type;

/// A fix: what it is called, the diagnostic it fixes, and its edits.
pub(super) struct Fix {
    pub title: String,
    pub place: Span,
    pub edits: Vec<(Span, String)>,
}

pub fn code_actions(
    documents: &Documents,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>, Failure> {
    let uri = &params.text_document.uri;
    let document = documents.get(uri)?;
    let wanted = document
        .lines
        .byte_range(&document.text, params.range)
        .ok_or_else(|| Failure::invalid_params("the range is outside the document"))?;
    let view = documents.analysis(uri)?;
    let actions = fixes(&view)
        .into_iter()
        .filter(|fix| {
            fix.place.file == view.file
                && fix.place.start as usize <= wanted.end
                && wanted.start <= fix.place.end as usize
        })
        .map(|fix| action(fix, &view, &params.context.diagnostics))
        .collect();
    Ok(Some(actions))
}

/// A fix as a code action; its edits may reach other files of the program (the other workflow
/// of a loop).
fn action(fix: Fix, analysis: &Analysis, sent: &[Diagnostic]) -> CodeActionOrCommand {
    let place = analysis.range(fix.place);
    let edit = super::workspace_edit(
        fix.edits
            .into_iter()
            .map(|(span, text)| (analysis.location(span), text)),
    );
    let fixed: Vec<Diagnostic> = sent.iter().filter(|d| d.range == place).cloned().collect();
    CodeActionOrCommand::CodeAction(CodeAction {
        title: fix.title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: (!fixed.is_empty()).then_some(fixed),
        edit: Some(edit),
        is_preferred: Some(true),
        ..Default::default()
    })
}

fn fixes(analysis: &Analysis) -> Vec<Fix> {
    let mut out = Vec::new();
    for problem in analysis.problems() {
        let help = help_of(problem.report());
        let replace = |used: &crate::check::Named, by: &str| {
            help.contains(&format!("`{by}`")).then(|| Fix {
                title: format!("replace `{}` with `{by}`", used.text),
                place: used.span,
                edits: vec![(used.span, by.to_string())],
            })
        };
        let fix = match problem {
            CheckError::CloseToDeclared { used, declared } => replace(used, &declared.text),
            CheckError::UnknownEntity {
                entity,
                suggestion: Some(s),
                implied: false,
                ..
            } => replace(entity, s),
            CheckError::UnknownField {
                field,
                suggestion: Some(s),
                ..
            }
            | CheckError::UnknownName {
                name: field,
                suggestion: Some(s),
                ..
            }
            | CheckError::UnknownWorkflow {
                name: field,
                suggestion: Some(s),
            }
            | CheckError::UnknownFunction {
                name: field,
                suggestion: Some(s),
            } => replace(field, s),
            CheckError::MissingFields {
                span,
                entity,
                missing,
                copied_from: None,
                ..
            } => analysis.program().and_then(|p| {
                missing_fields(p, analysis.text(span.file), *span, entity.span, missing)
            }),
            _ => None,
        };
        out.extend(fix);
    }
    if let Some(program) = analysis.program() {
        for finding in &analysis.flow {
            out.extend(guards(finding, analysis, program));
            out.extend(super::sync_fix::sync_fix(finding, analysis, program));
        }
    }
    out
}

fn help_of(diagnostic: crate::diagnostic::Diagnostic) -> String {
    let helps = diagnostic.notes.iter();
    let help = helps.filter_map(|n| crate::diagnostic::as_help(n)).next();
    help.unwrap_or_default().to_string()
}

/// `, name: value` for each missing field, before the `}` that closes the field block.
fn missing_fields(
    program: &Program,
    text: &str,
    action: Span,
    entity: Span,
    missing: &[std::sync::Arc<str>],
) -> Option<Fix> {
    let target = program.entities.iter().find(|e| e.span == entity)?;
    let written = text.get(action.range())?;
    let close = action.start as usize + written.rfind('}')?;
    let open = action.start as usize + written.find('{')?;
    let empty = text[open + 1..close].trim().is_empty();
    // The trigger's fields, when the action is in a workflow: a field of the same name and type
    // is the likeliest value.
    let trigger = program
        .workflows
        .iter()
        .find(|w| w.span.start <= action.start && action.end <= w.span.end)
        .map(|w| program.entity(w.trigger.entity));
    let inits: Vec<String> = missing
        .iter()
        .filter_map(|name| {
            let field = target.fields.iter().find(|f| f.name == *name)?;
            let same = trigger.and_then(|t| t.fields.iter().find(|f| f.name == *name));
            let value = match same {
                Some(f) if f.ty.fits(&field.ty) => name.to_string(),
                _ => placeholder(&field.ty),
            };
            Some(format!("{name}: {value}"))
        })
        .collect();
    let before_close = text[..close].trim_end().len();
    let insert = if empty {
        format!(" {} ", inits.join(", "))
    } else {
        format!(", {}", inits.join(", "))
    };
    let at = if empty { open + 1 } else { before_close };
    let end = if empty { close } else { before_close };
    let names: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
    Some(Fix {
        title: format!(
            "add the missing field{} {}",
            if missing.len() > 1 { "s" } else { "" },
            names.join(", ")
        ),
        place: action,
        edits: vec![(Span::new(action.file, at, end), insert)],
    })
}

/// A value of a type, to be replaced by the user.
fn placeholder(ty: &Type) -> String {
    match ty {
        Type::Number => "0".into(),
        Type::Bool => "false".into(),
        Type::Time => "now()".into(),
        Type::Duration => "0m".into(),
        Type::List(_) => "[]".into(),
        Type::Optional(_) => "none".into(),
        Type::Nested(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|(name, ty)| format!("{name}: {}", placeholder(ty)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        _ => "\"\"".into(),
    }
}

/// E0301's guards: `unless origin == ENGINE` as the first step of each workflow it names.
fn guards(finding: &FlowError, analysis: &Analysis, program: &Program) -> Vec<Fix> {
    let FlowError::Cycle(report) = finding else {
        return Vec::new();
    };
    let CycleFix::AddGuards {
        guards,
        engine,
        misplaced,
    } = &report.fix
    else {
        return Vec::new();
    };
    if !misplaced.is_empty() {
        return Vec::new();
    }
    let place = primary_place(finding);
    let guard = format!("unless origin == {engine}");
    let mut edits = Vec::new();
    for (name, _, _) in guards {
        let Some(id) = program.workflow_named(name) else {
            continue;
        };
        let span = program.workflow(id).span;
        let Some(w) = super::sync_fix::workflow_at(analysis, span) else {
            continue;
        };
        let text = analysis.text(span.file);
        match w.form {
            WorkflowForm::Block => {
                let at = w.trigger.span.end as usize;
                let line_start = text[..w.trigger.span.start as usize]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                let indent = &text[line_start..w.trigger.span.start as usize];
                let indent = if indent.trim().is_empty() {
                    indent
                } else {
                    "  "
                };
                edits.push((Span::new(span.file, at, at), format!("\n{indent}{guard}")));
            }
            WorkflowForm::OneLine => {
                let at = w.span.end as usize;
                edits.push((Span::new(span.file, at, at), format!(" {guard}")));
            }
        }
    }
    if edits.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = guards.iter().map(|(w, _, _)| format!("`{w}`")).collect();
    vec![Fix {
        title: format!("add `{guard}` to {}", names.join(" and ")),
        place,
        edits,
    }]
}

/// Where a finding's diagnostic points, which its fixes are offered at.
pub(super) fn primary_place(finding: &FlowError) -> Span {
    let report = finding.report();
    report
        .labels
        .iter()
        .find(|l| l.style == codespan_reporting::diagnostic::LabelStyle::Primary)
        .or(report.labels.first())
        .map(|l| Span::new(l.file_id, l.range.start, l.range.end))
        .unwrap_or_default()
}
