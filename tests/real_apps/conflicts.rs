//! `weir serve` runs a workflow on a sync's conflict as on any event: a tracker ticket renamed
//! behind weir's back, then the helpdesk ticket renamed too, is a conflict `prefer` settles, and
//! the workflow `on conflict in sync tickets` writes its note into the real app.

use serde_json::json;

use super::rest_app::{RestApp, client};
use super::serve::{Serve, scratch};

fn script(tracker: &str) -> String {
    format!(
        r#"app Helpdesk {{
  ticket {{ title: text }}
}}

app Tracker at "{tracker}" {{
  ticket {{ title: text }}
  note {{ text: text }}
}}

sync ticket between Helpdesk and Tracker as tickets {{
  title <-> title
  prefer Helpdesk
}}

on conflict in sync tickets do create note in Tracker {{ text: "{{conflict.loser}} lost {{conflict.lost}}, kept {{conflict.kept}}" }}
"#
    )
}

#[test]
fn serve_runs_a_workflow_on_a_sync_conflict() {
    let tracker = RestApp::start();
    let dir = scratch("serve-conflict");
    std::fs::write(dir.join("sync.weir"), script(&tracker.url)).unwrap();
    let serve = Serve::start(&dir, "sync.weir", &[]);
    let send = |kind: &str, record: serde_json::Value, id: &str| {
        let path = format!("/events/Helpdesk/ticket/{kind}");
        let (status, reply) = serve.event(&path, &record, Some(id));
        assert_eq!(status, 202, "{reply}");
    };
    send("new", json!({ "title": "printer" }), "1");
    assert_eq!(serve.settle(1)["done"], 1);
    // Someone renames the tracker's ticket, and weir has not heard of it yet.
    let renamed = client()
        .patch(format!("{}/ticket/r1", tracker.url))
        .header("content-type", "application/json")
        .body(json!({ "title": "printer broken" }).to_string())
        .send()
        .expect("the tracker answers");
    assert!(renamed.status().is_success());
    send("updated", json!({ "id": 1, "title": "printer jam" }), "2");
    let health = serve.settle(2);
    assert_eq!(
        (&health["done"], &health["failed"]),
        (&json!(2), &json!(0)),
        "{health}"
    );
    assert_eq!(tracker.records("ticket")[0]["title"], "printer jam");
    let notes: Vec<_> = tracker
        .records("note")
        .into_iter()
        .map(|n| n["text"].clone())
        .collect();
    assert_eq!(
        notes,
        [json!("Tracker lost printer broken, kept printer jam")]
    );
    serve.terminate();
}
