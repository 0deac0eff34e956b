//! The engine driven the way a REPL drives it: one change at a time, what happened as data.

use super::*;
use crate::value::Value;

fn program(text: &str) -> Arc<Program> {
    let loaded = crate::load::parse_all(vec![("t.weir".into(), text.into())]);
    assert!(loaded.diagnostics.is_empty());
    let checked = crate::check::check(&loaded.scripts, &loaded.sources);
    assert!(!checked.has_errors());
    Arc::new(checked.program)
}

const MIRROR: &str = r#"
    app Calendar { event { title: text, origin: stamp } }
    app Outlook { event { subject: text, origin: stamp } }
    workflow copy {
      on new event in Calendar
      unless origin == weir
      create event in Outlook { subject: upper(title) }
      notify "copied {title}"
    }
"#;

fn create_event(p: &Program, title: &str) -> Change {
    let calendar = p.app_named("Calendar").unwrap();
    let entity = p.entity_named(calendar, "event").unwrap();
    let mut record = Record::empty(p.entity(entity).fields.len());
    record.set(FieldId(0), Value::text(title));
    Change::Create {
        entity,
        record,
        id: None,
        actor: Arc::from("user"),
    }
}

#[test]
fn a_change_returns_what_it_set_off() {
    let p = program(MIRROR);
    let options = Options {
        trace: true,
        ..Options::default()
    };
    let mut engine = Engine::simulated(Arc::clone(&p), options);
    let out = engine.act([create_event(&p, "Standup")]);
    assert_eq!(
        out.counts,
        Counts {
            events: 2,
            runs: 1,
            actions: 2,
            held: 0,
            failed: 0,
            notified: 1
        }
    );
    let copied = out.trace.iter().find_map(|item| match item {
        TraceItem::Event(e) if e.cause.is_some() => Some(e),
        _ => None,
    });
    let copied = copied.expect("the copy's event is in the trace");
    assert_eq!(copied.record.get(FieldId(0)), &Value::text("STANDUP"));
    assert_eq!(&*copied.origin, "weir");
    assert_eq!(copied.hops(), 1);
    let again = engine.act([create_event(&p, "Lunch")]);
    assert_eq!(again.counts.runs, 1);
    assert_eq!(engine.totals().runs, 2);
    assert_eq!(engine.completed_runs(WorkflowId(0)), 2);
}

#[test]
fn tracing_off_keeps_nothing_per_event() {
    let p = program(MIRROR);
    let mut engine = Engine::simulated(Arc::clone(&p), Options::default());
    for i in 0..100 {
        let out = engine.act([create_event(&p, &format!("event {i}"))]);
        assert!(out.trace.is_empty() && out.held.is_empty() && out.failures.is_empty());
    }
    assert_eq!(engine.totals().events, 200);
    assert!(engine.held().is_empty());
}

#[test]
fn a_grown_program_goes_on_with_the_same_apps() {
    let p = program(MIRROR);
    let mut engine = Engine::simulated(Arc::clone(&p), Options::default());
    engine.act([create_event(&p, "Standup")]);
    let grown = program(&format!(
        "{MIRROR}\non new event in Outlook do notify \"mirrored {{subject}}\""
    ));
    engine.replace_program(Arc::clone(&grown));
    let out = engine.act([create_event(&grown, "Lunch")]);
    assert_eq!(out.counts.notified, 2);
    assert_eq!(engine.totals().events, 4);
    let outlook = grown.app_named("Outlook").unwrap();
    let event = grown.entity_named(outlook, "event").unwrap();
    assert_eq!(engine.select(event, None).unwrap().len(), 2);
}

/// Tickets synced between two simulated apps, with a `prefer` line.
/// The ticket entities of Helpdesk and Tracker.
fn tickets(p: &Program) -> (EntityId, EntityId) {
    let ticket = |app| p.entity_named(p.app_named(app).unwrap(), "ticket").unwrap();
    (ticket("Helpdesk"), ticket("Tracker"))
}

/// A person's new record with one text field.
fn create_ticket(entity: EntityId, title: &str) -> Change {
    let mut record = Record::empty(1);
    record.set(FieldId(0), Value::text(title));
    Change::Create {
        entity,
        record,
        id: None,
        actor: Arc::from("user"),
    }
}

/// A person's rename of the first record of an entity.
fn rename(entity: EntityId, title: &str) -> Change {
    Change::Update {
        at: RecordRef::new(entity, 1),
        write: Write {
            fields: vec![(FieldId(0), Value::text(title))],
            ..Write::default()
        },
        actor: Arc::from("user"),
    }
}

fn helpdesk_tracker(prefer: &str) -> Arc<Program> {
    program(&format!(
        r#"
        app Helpdesk {{ ticket {{ title: text }} }}
        app Tracker {{ ticket {{ subject: text }} }}
        sync ticket between Helpdesk and Tracker {{ title <-> subject  {prefer} }}
    "#
    ))
}

#[test]
fn a_sync_conflict_is_settled_by_prefer_and_shown() {
    let p = helpdesk_tracker("prefer Tracker");
    let options = Options {
        trace: true,
        ..Options::default()
    };
    let mut engine = Engine::simulated(Arc::clone(&p), options);
    let (helpdesk, tracker) = tickets(&p);
    engine.act([create_ticket(helpdesk, "Printer")]);
    // Both sides change the same field before the sync sees either change.
    let out = engine.act([
        rename(helpdesk, "Printer jam"),
        rename(tracker, "Printer broken"),
    ]);
    let conflict = out.trace.iter().find_map(|item| match item {
        TraceItem::Action {
            done: trace::Done::Conflict { kept, lost, .. },
            ..
        } => Some((kept.clone(), lost.clone())),
        _ => None,
    });
    assert_eq!(
        conflict,
        Some((Value::text("Printer broken"), Value::text("Printer jam")))
    );
    for entity in [helpdesk, tracker] {
        let records = engine.select(entity, None).unwrap();
        assert_eq!(records[0].get(FieldId(0)), &Value::text("Printer broken"));
    }
    assert!(engine.held().is_empty());
}

#[test]
fn a_pair_another_engine_wrote_replaces_this_ones_and_is_no_change_of_its_own() {
    let mut ledger = super::sync::Ledger::default();
    ledger.track_changes();
    let pair = |left, right, title: &str| super::sync::Pair {
        sync: SyncId(0),
        left,
        right,
        left_values: vec![Value::text(title)],
        right_values: vec![Value::text(title)],
    };
    ledger.adopt(pair(1, 7, "Printer"));
    ledger.adopt(pair(1, 7, "Printer jam"));
    let found = ledger.pair(SyncId(0), 1).expect("the pair");
    assert_eq!(found.left_values, vec![Value::text("Printer jam")]);
    // Right record 7 now paired with left record 2: the pair of left record 1 is gone.
    ledger.adopt(pair(2, 7, "Scanner"));
    assert!(ledger.pair(SyncId(0), 1).is_none());
    assert_eq!(ledger.pairs().count(), 1);
    ledger.drop_adopted(SyncId(0), 2);
    assert_eq!(ledger.pairs().count(), 0);
    assert!(
        ledger.take_changes().is_empty(),
        "none of them this ledger's own"
    );
}

#[test]
fn the_sync_ledger_lists_the_pairs_it_changed_when_asked() {
    let p = helpdesk_tracker("");
    let mut engine = Engine::simulated(Arc::clone(&p), Options::default());
    engine.ledger_mut().track_changes();
    let helpdesk = p
        .entity_named(p.app_named("Helpdesk").unwrap(), "ticket")
        .unwrap();
    let sync = SyncId(0);
    let mut record = Record::empty(1);
    record.set(FieldId(0), Value::text("Printer"));
    let create = Change::Create {
        entity: helpdesk,
        record,
        id: None,
        actor: Arc::from("user"),
    };
    engine.act([create]);
    assert_eq!(engine.ledger_mut().take_changes(), vec![(sync, 1)]);
    let pair = engine.ledger().pair(sync, 1).expect("the pair");
    assert_eq!(pair.right_values, vec![Value::text("Printer")]);
    engine.act([Change::Delete {
        at: RecordRef::new(helpdesk, 1),
        actor: Arc::from("user"),
    }]);
    assert_eq!(engine.ledger_mut().take_changes(), vec![(sync, 1)]);
    assert!(engine.ledger().pair(sync, 1).is_none(), "the pair is gone");
    assert!(engine.ledger_mut().take_changes().is_empty());
}

#[test]
fn a_renewed_budget_lets_a_held_workflow_run_again_and_runs_are_noted() {
    let p = program(MIRROR);
    let options = Options {
        max_runs: 1,
        runs: true,
        ..Options::default()
    };
    let mut engine = Engine::simulated(Arc::clone(&p), options);
    let first = engine.act([create_event(&p, "a")]);
    assert_eq!(
        first.runs,
        vec![RunNote {
            run: 1,
            by: Actor::Workflow(WorkflowId(0)),
            end: RunEnd::Done
        }]
    );
    assert_eq!(first.notes.len(), 1);
    let second = engine.act([create_event(&p, "b")]);
    assert_eq!((second.counts.runs, second.counts.held), (0, 1));
    engine.renew_budget();
    let third = engine.act([create_event(&p, "c")]);
    assert_eq!((third.counts.runs, third.counts.held), (1, 0));
    assert_eq!(third.runs[0].run, 2);
}

#[test]
fn a_conflict_runs_its_workflows_and_a_held_one_keeps_its_conflict() {
    let p = program(
        r#"
        app Helpdesk { ticket { title: text } }
        app Tracker { ticket { subject: text } }
        sync ticket between Helpdesk and Tracker as tickets { title <-> subject  prefer Tracker }
        on conflict in sync tickets do notify "{conflict.loser} lost {conflict.lost} to {conflict.kept} on {conflict.field}"
    "#,
    );
    let (helpdesk, tracker) = tickets(&p);
    let both = |engine: &mut Engine| {
        engine.act([create_ticket(helpdesk, "Printer")]);
        engine.act([
            rename(helpdesk, "Printer jam"),
            rename(tracker, "Printer broken"),
        ])
    };
    let mut engine = Engine::simulated(Arc::clone(&p), Options::default());
    let out = both(&mut engine);
    assert_eq!(
        out.notes
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>(),
        ["Helpdesk lost Printer jam to Printer broken on title"]
    );
    // Out of budget, the conflict's run is held, and the conflict goes with it.
    let options = Options {
        max_runs: 0,
        ..Options::default()
    };
    let mut engine = Engine::simulated(Arc::clone(&p), options);
    both(&mut engine);
    let held = engine.held().first().expect("the conflict's run is held");
    let conflict = held.event.conflict.clone().expect("a conflict event");
    assert_eq!(conflict.lost, "Printer jam");
    let json = state::held_json(&p, held);
    let loaded = state::load_held(&p, &json, "held").expect("it loads again");
    assert_eq!(loaded.event.conflict, Some(conflict));
}

/// At one time the clock goes on first with the runs that waited, then fires timers and
/// schedules in the order of the script; each sees the clock at its time.
#[test]
fn what_comes_due_at_one_time_runs_waits_first_then_in_script_order() {
    let p = program(
        r#"
        app Clinic { appointment { patient: text, start: time } }
        workflow hourly { on every 1h notify "hourly {format(now(), "%H:%M")}" }
        workflow remind {
          on 1h before start of appointment in Clinic
          notify "timer {patient}"
        }
        workflow greet {
          on new appointment in Clinic
          wait 2h
          notify "waited {patient}"
        }
    "#,
    );
    let mut engine = Engine::simulated(Arc::clone(&p), Options::default());
    let clinic = p.app_named("Clinic").unwrap();
    let entity = p.entity_named(clinic, "appointment").unwrap();
    let mut record = Record::empty(2);
    record.set(FieldId(0), Value::text("ann"));
    record.set(FieldId(1), Value::Time(DEFAULT_NOW + 3 * 3600));
    let change = Change::Create {
        entity,
        record,
        id: None,
        actor: Arc::from("user"),
    };
    engine.act([change]);
    let out = engine.advance_clock(2 * 3600).unwrap();
    let notes: Vec<&str> = out.notes.iter().map(|(_, text)| text.as_str()).collect();
    assert_eq!(
        notes,
        ["hourly 01:00", "waited ann", "hourly 02:00", "timer ann"]
    );
    assert_eq!(engine.now(), DEFAULT_NOW + 2 * 3600);
    // Nothing fires twice: the timer's time and the wait are past.
    let out = engine.advance_clock(24 * 3600).unwrap();
    assert!(out.notes.iter().all(|(_, text)| text.starts_with("hourly")));
}
