//! Nested records and lists of records go to a real app as JSON objects and arrays, and come
//! back from it the same way: a lookup reads a nested field of what the app answers.

use serde_json::json;

use super::rest_app::RestApp;
use super::serve::{scratch, text, weir};

fn invoicing(books: &str) -> String {
    format!(
        r##"app Shop {{
  order {{ number: text, ship_to: {{ street: text, city: text }}, lines: list of {{ sku: text, qty: number }} }}
}}

app Books at "{books}" {{
  invoice {{ reference: text, to: {{ street: text, city: text }}, lines: list of {{ sku: text, qty: number }}, units: number }}
}}

on new order in Shop do create invoice in Books {{
  reference: number
  to: {{ street: ship_to.street, city: upper(ship_to.city) }}
  lines: lines
  units: sum(line.qty for line in lines)
}}

workflow tell {{
  on updated order in Shop
  let inv = find invoice in Books where reference == trigger.number
  continue if inv != none
  notify "#books" "to {{inv.to.city}}, first {{inv.lines[0].sku ?? "none"}}"
}}
"##
    )
}

#[test]
fn a_nested_record_is_written_as_an_object_and_read_back_from_one() {
    let books = RestApp::start();
    let dir = scratch("nested-records");
    std::fs::write(dir.join("shop.weir"), invoicing(&books.url)).unwrap();
    let order = json!({
        "number": "7",
        "ship_to": { "street": "1 Elm St", "city": "Oslo" },
        "lines": [{ "sku": "TEA-1", "qty": 2 }, { "sku": "MUG-2", "qty": 1 }]
    });
    let lines = [
        json!({ "kind": "new", "app": "Shop", "entity": "order", "record": order }).to_string(),
        json!({ "kind": "updated", "app": "Shop", "entity": "order", "record": { "id": 1, "number": "7" } })
            .to_string(),
    ];
    std::fs::write(dir.join("orders.jsonl"), lines.join("\n") + "\n").unwrap();
    let out = weir(&["run", "shop.weir", "--events", "orders.jsonl"], &dir, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let invoice = &books.records("invoice")[0];
    assert_eq!(
        invoice["to"],
        json!({ "street": "1 Elm St", "city": "OSLO" })
    );
    assert_eq!(invoice["lines"][1], json!({ "sku": "MUG-2", "qty": 1 }));
    assert_eq!(invoice["units"], 3);
    assert!(stdout.contains("to OSLO, first TEA-1"), "{stdout}");
}
