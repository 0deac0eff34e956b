//! A webhook's body with a key given twice is refused by the real `weir serve`, naming the key:
//! serde_json alone would keep the last value and run something the sender did not mean.

#[expect(
    dead_code,
    reason = "the helpers serve several test files; this one needs a few"
)]
#[path = "real_apps/rest_app.rs"]
mod rest_app;
#[expect(
    dead_code,
    reason = "the helpers serve several test files; this one needs a few"
)]
#[path = "real_apps/serve.rs"]
mod serve;

use rest_app::signed;
use serve::{SECRET, Serve, scratch};

const SCRIPT: &str = r#"engine weir

app Shop {
  order { customer: text, email: text }
}

app Crm at "http://127.0.0.1:9" auth bearer env CRM_TOKEN {
  contact { name: text, email: text, origin: stamp }
}

workflow order_to_contact {
  on new order in Shop
  create contact in Crm { name: upper(customer), email: email }
}
"#;

#[test]
fn a_key_given_twice_in_a_webhook_body_is_refused_with_its_name() {
    let dir = scratch("twice");
    std::fs::write(dir.join("shop.weir"), SCRIPT).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &[]);
    let cases = [
        (
            "/events/Shop/order/new",
            r#"{"customer": "ada", "email": "a@example.com", "customer": "eve"}"#,
            "the key `customer` is given twice",
        ),
        (
            "/events/Crm/contact/updated",
            r#"{"id": "c-1", "name": "Ada", "email": "a@example.com", "id": "c-2"}"#,
            "the key `id` is given twice",
        ),
    ];
    for (path, body, says) in cases {
        let headers = signed(SECRET, path, body.as_bytes(), &[]);
        let (status, reply) = serve.post(path, body, &headers);
        assert_eq!(status, 422, "{path}: {reply}");
        assert!(reply["error"].to_string().contains(says), "{path}: {reply}");
    }
    let health = serve.health();
    assert_eq!(
        (health["queued"].as_u64(), health["done"].as_u64()),
        (Some(0), Some(0)),
        "{health}"
    );
    let out = serve.terminate();
    assert!(out.status.success());
}
