//! `:show` and `:workflows`: the session's apps, records and workflows, as plain text.

use std::fmt::Write as _;

use crate::program::{ActionKind, Program};
use crate::run::Engine;
use crate::run::apps::RecordRef;
use crate::run::trace::show_record;

/// `:show` (every app), `:show App` (its entities and records), `:show App.entity`.
pub fn show(program: &Program, engine: &Engine, what: Option<&str>) -> String {
    let mut out = String::new();
    let Some(what) = what else {
        if program.apps.is_empty() {
            return "no apps yet: declare one (`app Calendar { event { title: text } }`) or use one in a workflow\n".into();
        }
        for app in program.apps.iter().filter(|a| !a.is_clock()) {
            let entities: Vec<String> = app
                .entities
                .iter()
                .filter(|e| !program.entity(**e).is_hidden())
                .map(|e| {
                    let count = engine.select(*e, None).map(|r| r.len()).unwrap_or(0);
                    format!("{} ({count})", program.entity(*e).name)
                })
                .collect();
            let open = if app.declared { "" } else { ", open" };
            let _ = writeln!(out, "{}{open}: {}", app.name, entities.join(", "));
        }
        return out;
    };
    let (app_name, entity_name) = match what.split_once('.') {
        Some((a, e)) => (a, Some(e)),
        None => (what, None),
    };
    let Some(app) = program.app_named(app_name) else {
        let names = program.apps.iter().map(|a| &*a.name);
        let hint = crate::suggest::closest(app_name, names)
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        return format!("error: there is no app `{app_name}`{hint}; `:show` lists them\n");
    };
    let entities: Vec<_> = match entity_name {
        Some(name) => match program.entity_named(app, name) {
            Some(e) => vec![e],
            None => {
                return format!(
                    "error: `{app_name}` has no entity `{name}`; `:show {app_name}` lists its entities\n"
                );
            }
        },
        None => program.entities_of(app).collect(),
    };
    for entity in entities {
        let e = program.entity(entity);
        let records = engine.select(entity, None).unwrap_or_default();
        let fields: Vec<String> = e
            .fields
            .iter()
            .map(|f| {
                if f.is_stamp {
                    format!("{}: stamp", f.name)
                } else {
                    format!("{}: {}", f.name, f.ty)
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "{}.{} {{ {} }}: {} record(s)",
            app_name,
            e.name,
            fields.join(", "),
            records.len()
        );
        for record in &records {
            let at = RecordRef::new(entity, record.id);
            let _ = writeln!(
                out,
                "  {} {}",
                at.show(program),
                show_record(program, entity, record.view())
            );
        }
    }
    out
}

/// `:workflows`: each workflow, what starts it and what it writes.
pub fn workflows(program: &Program) -> String {
    if program.workflows.is_empty() && program.syncs.is_empty() {
        return "no workflows yet: try `on new event in Calendar do notify \"new event {title}\"`\n".into();
    }
    let mut out = String::new();
    for w in &program.workflows {
        let t = &w.trigger;
        let e = program.entity(t.entity);
        let writes: Vec<String> = w
            .actions()
            .map(|a| match (&a.kind, a.kind.writes()) {
                (ActionKind::Upsert { .. }, Some((app, entity, _))) => format!(
                    "upsert {} in {}",
                    program.entity(entity).name,
                    program.app(app).name
                ),
                (_, Some((app, entity, kind))) => format!(
                    "{} {} in {}",
                    kind.action(),
                    program.entity(entity).name,
                    program.app(app).name
                ),
                (_, None) => "notify".to_string(),
            })
            .collect();
        let on = match (t.conflict, t.failed) {
            (Some(sync), _) => format!("conflict in sync {}", program.syncs[sync.0].name),
            (None, Some(of)) => of.words(program),
            (None, None) => format!("{} {} in {}", t.kind, e.name, program.app(e.app).name),
        };
        let _ = writeln!(
            out,
            "{:<20} on {on} → {}",
            w.name,
            if writes.is_empty() {
                "nothing".to_string()
            } else {
                writes.join(", ")
            }
        );
    }
    for s in &program.syncs {
        let _ = writeln!(
            out,
            "{:<20} keeps {} in step between {} and {}",
            format!("sync {}", s.name),
            s.entity_name,
            program.app(s.left.app).name,
            program.app(s.right.app).name
        );
    }
    out
}
