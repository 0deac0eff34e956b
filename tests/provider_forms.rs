//! Providers' requests that are not plain JSON signed in hex, sent to the real `weir serve`:
//! Slack's slash commands and interactive messages (forms), Shopify's webhooks (signed in
//! base64), Slack's URL check; and each shell example of docs/real-apps.md, run as written.

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
#[path = "provider_webhooks/sign.rs"]
mod sign;

use rest_app::RestApp;
use serde_json::{Value as Json, json};
use serve::{Scratch, Serve, scratch, text};
use sign::{now, signed};
use weir::serve::schemes::Scheme;

// ---------------------------------------------------------------- forms, base64

const FORMS: &str = r#"app Desk at "DESK" {
  ticket { title: text, author: text }
}

app Commands at "DESK" {
  request { text: text, person: text as "user_name" }
  action { kind: text as "type", person: text as "user.name" }

  webhooks at "/hooks/slack/commands" signed slack env SLACK_SIGNING_SECRET {
    kind at "command"
    id at "trigger_id"
    "/ticket" means new request
  }

  webhooks at "/hooks/slack/actions" signed slack env SLACK_SIGNING_SECRET {
    kind at "type"
    id at "trigger_id"
    "block_actions" means new action
  }
}

app Storefront at "DESK" {
  order { email: text?, total: text as "total_price" }

  webhooks at "/hooks/shopify" signed hmac header "X-Shopify-Hmac-Sha256" base64 env SHOPIFY_SECRET {
    kind at header "X-Shopify-Topic"
    id at header "X-Shopify-Webhook-Id"
    "orders/create" means new order
  }
}

workflow slash {
  on new request in Commands
  create ticket in Desk { title: text, author: person }
}

workflow clicked {
  on new action in Commands
  create ticket in Desk { title: "clicked " + kind, author: person }
}

workflow sold {
  on new order in Storefront
  create ticket in Desk { title: "order of " + total, author: email ?? "?" }
}
"#;

/// Slack's slash command (a form) and interactive message (a form whose `payload` is JSON),
/// and Shopify's order webhook (signed in base64): each runs its workflow; a base64 signature
/// of another body, and a hex one where base64 is declared, are refused.
#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one server's life: each provider's delivery in turn, then the ones it must refuse"
)]
fn forms_and_base64_signatures_run_their_workflows() {
    let desk = RestApp::start();
    let dir = scratch("hooks-forms");
    std::fs::write(dir.join("forms.weir"), FORMS.replace("DESK", &desk.url)).unwrap();
    let secret = "form-secret";
    let env = [("SLACK_SIGNING_SECRET", secret), ("SHOPIFY_SECRET", secret)];
    let args = [
        "serve",
        "forms.weir",
        "--listen",
        "127.0.0.1:0",
        "--journal",
        "weir.db",
    ];
    let serve = Serve::launch(&dir, &args, &env)
        .unwrap_or_else(|out| panic!("weir serve did not start: {}", text(&out.stderr)));
    let form = |route: &str, body: &str| {
        let mut headers = signed(&Scheme::Slack, secret, body, now());
        headers.push(("Content-Type", "application/x-www-form-urlencoded".into()));
        serve.post(route, body, &headers)
    };
    // The fields of Slack's documented slash command request.
    let command = "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve&command=%2Fticket&text=printer+jam&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0";
    let (status, answer) = form("/hooks/slack/commands", command);
    assert_eq!(status, 202, "{answer}");
    let payload = json!({
        "type": "block_actions",
        "trigger_id": "12466734323.1395872398",
        "user": { "id": "U2147483697", "name": "Steve" },
        "actions": [{ "action_id": "close", "value": "1" }]
    });
    let body = format!(
        "payload={}",
        percent_encoding::utf8_percent_encode(
            &payload.to_string(),
            percent_encoding::NON_ALPHANUMERIC
        )
    );
    let (status, answer) = form("/hooks/slack/actions", &body);
    assert_eq!(status, 202, "{answer}");
    // Slack checks an Events API URL by asking it to echo a challenge (signed, in JSON).
    let challenge = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let mut headers = signed(&Scheme::Slack, secret, challenge, now());
    headers.push(("Content-Type", "application/json".into()));
    let (status, answer) = serve.post("/hooks/slack/actions", challenge, &headers);
    assert_eq!(
        (status, &answer),
        (
            200,
            &json!({ "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" })
        )
    );
    let (status, answer) = form("/hooks/slack/actions", "payload=%7Bnot");
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("the form's `payload` is not a JSON object")),
        "{answer}"
    );

    let shopify = |base64| Scheme::Hmac {
        header: "X-Shopify-Hmac-Sha256".into(),
        prefix: String::new(),
        base64,
    };
    let order = r#"{"id":820982911946154508,"email":"jon@example.com","total_price":"199.65","currency":"USD"}"#;
    let shop = |headers: Vec<(&'static str, String)>, id: &str| {
        let mut headers = headers;
        headers.push(("X-Shopify-Topic", "orders/create".into()));
        headers.push(("X-Shopify-Webhook-Id", id.into()));
        headers.push(("Content-Type", "application/json".into()));
        serve.post("/hooks/shopify", order, &headers)
    };
    let (status, answer) = shop(signed(&shopify(true), secret, order, 0), "w-1");
    assert_eq!(status, 202, "{answer}");
    let other = signed(&shopify(true), secret, "{}", 0);
    let (status, answer) = shop(other, "w-2");
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("`X-Shopify-Hmac-Sha256` does not match the body")),
        "{answer}"
    );
    let (status, answer) = shop(signed(&shopify(false), secret, order, 0), "w-3");
    assert_eq!(status, 401, "{answer}");

    let health = serve.settle(3);
    assert_eq!(
        (&health["done"], &health["failed"]),
        (&json!(3), &json!(0)),
        "{health}"
    );
    let mut tickets: Vec<(Json, Json)> = desk
        .records("ticket")
        .iter()
        .map(|t| (t["title"].clone(), t["author"].clone()))
        .collect();
    tickets.sort_by_key(|t| t.0.to_string());
    assert_eq!(
        tickets,
        [
            (json!("clicked block_actions"), json!("Steve")),
            (json!("order of 199.65"), json!("jon@example.com")),
            (json!("printer jam"), json!("Steve")),
        ]
    );
}

// ---------------------------------------------------------------- the shell examples

/// The fenced blocks of `lang` in the section of docs/real-apps.md on providers' webhooks.
fn doc_blocks(lang: &str) -> Vec<String> {
    let page = include_str!("../docs/real-apps.md");
    let start = page
        .find("## Webhooks from providers")
        .expect("the section");
    let section = &page[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |n| n + 3)];
    let fence = format!("```{lang}\n");
    section
        .split(&fence)
        .skip(1)
        .map(|block| block[..block.find("\n```").expect("a closed block")].to_string())
        .collect()
}

/// Each shell example of the documentation, one per scheme (and a form, and base64), run as written (curl and openssl
/// sign and send it) against `weir serve` with the documentation's scripts: each is accepted.
#[test]
fn the_shell_example_of_each_scheme_is_accepted() {
    let found = |tool: &str, arg: &str| {
        std::process::Command::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !found("curl", "--version") || !found("openssl", "version") {
        eprintln!("skipped: the shell examples need curl and openssl, and one is not installed");
        return;
    }
    let dir = scratch("hooks-docs");
    let mut script = String::from("use github\n\n");
    for block in doc_blocks("weir") {
        script.push_str(&block);
        script.push_str("\n\n");
    }
    std::fs::write(dir.join("docs.weir"), &script).unwrap();
    let secret = "doc-secret";
    let env = [
        ("GITHUB_WEBHOOK_SECRET", secret),
        ("GITHUB_TOKEN", "t"),
        ("GITHUB_REPO", "octocat/Hello-World"),
        ("SLACK_SIGNING_SECRET", secret),
        ("SLACK_TOKEN", "t"),
        ("SHOP_SECRET", secret),
        ("SHOP_KEY", "k"),
        ("STRIPE_WEBHOOK_SECRET", secret),
        ("STRIPE_SECRET_KEY", "sk_test"),
        ("SHOPIFY_TOKEN", "t"),
        ("SHOPIFY_SECRET", secret),
    ];
    let args = [
        "serve",
        "docs.weir",
        "--listen",
        "127.0.0.1:0",
        "--journal",
        "weir.db",
    ];
    let serve = Serve::launch(&dir, &args, &env)
        .unwrap_or_else(|out| panic!("weir serve did not start: {}", text(&out.stderr)));
    let shell = doc_blocks("sh");
    assert_eq!(shell.len(), 1, "one block of shell examples");
    let commands = shell[0].replace("http://127.0.0.1:8080", &serve.url);
    let out = std::process::Command::new("bash")
        .args(["-c", &format!("set -eu\n{commands}")])
        .env("SECRET", secret)
        .output()
        .expect("bash runs");
    let answers = text(&out.stdout);
    for scheme in [
        "github:",
        "stripe:",
        "slack:",
        "hmac:",
        "slack, a slash command",
        "hmac in base64",
    ] {
        assert!(
            commands.contains(&format!("# {scheme}")),
            "an example for `{scheme}`"
        );
    }
    assert_eq!(
        answers.matches(r#"{"status":"accepted""#).count(),
        6,
        "{answers}\n{}",
        text(&out.stderr)
    );
}

// ---------------------------------------------------------------- nested records

const NESTED: &str = r#"app Desk at "DESK" {
  ticket { title: text, author: text }
}

app Shop at "DESK" {
  order { total: number, ship: { city: text, zip: text? } }

  webhooks at "/hooks/shop" signed hmac env SHOP_SECRET {
    kind at "topic"
    id at "id"
    "orders/create" means new order at "order"
  }
}

workflow ship {
  on new order in Shop
  create ticket in Desk { title: "ship to " + ship.city, author: "shop" }
}
"#;

/// An object in a provider's payload fills a nested record field: its fields are read as the
/// record type says (the ones it does not declare left out), and an object without a field the
/// type requires is refused at the door, naming it.
#[test]
fn a_nested_object_in_a_webhook_is_read_as_a_nested_record() {
    let desk = RestApp::start();
    let dir = scratch("hooks-nested");
    std::fs::write(dir.join("shop.weir"), NESTED.replace("DESK", &desk.url)).unwrap();
    let secret = "nested-secret";
    let args = [
        "serve",
        "shop.weir",
        "--listen",
        "127.0.0.1:0",
        "--journal",
        "weir.db",
    ];
    let serve = Serve::launch(&dir, &args, &[("SHOP_SECRET", secret)])
        .unwrap_or_else(|out| panic!("weir serve did not start: {}", text(&out.stderr)));
    let post = |body: Json| {
        let body = body.to_string();
        let mut headers = signed(
            &Scheme::Hmac {
                header: "X-Signature".into(),
                prefix: "sha256=".into(),
                base64: false,
            },
            secret,
            &body,
            now(),
        );
        headers.push(("Content-Type", "application/json".into()));
        serve.post("/hooks/shop", &body, &headers)
    };
    let (status, answer) = post(json!({
        "topic": "orders/create", "id": "e1",
        "order": { "id": "7", "total": 12, "ship": { "city": "Berlin", "street": "Unter den Linden" } }
    }));
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = post(json!({
        "topic": "orders/create", "id": "e2",
        "order": { "id": "8", "total": 5, "ship": { "zip": "10115" } }
    }));
    assert_eq!(
        (status, answer["error"].as_str()),
        (
            422,
            Some(
                "`ship` is a { city: text, zip: text? } field, but the event gives an object without `city`"
            )
        ),
        "{answer}"
    );
    let health = serve.settle(1);
    assert_eq!(health["done"], 1, "{health}");
    let titles: Vec<Json> = desk
        .records("ticket")
        .iter()
        .map(|t| t["title"].clone())
        .collect();
    assert_eq!(titles, vec![json!("ship to Berlin")]);
}

// ---------------------------------------------------------------- typed and nested form fields

const TILLS: &str = r#"app Desk at "DESK" {
  ticket { title: text, author: text }
}

app Tills at "DESK" {
  sale { amount: number, paid: bool, note: text?, ship: { city: text, zip: number? } }

  webhooks at "/hooks/tills" signed hmac env TILL_SECRET {
    kind at "event"
    id at "event_id"
    "sale" means new sale
  }
}

app Shopify at "DESK" {
  order { total: text as "total_price" }

  webhooks at "/hooks/shopify" signed hmac header "X-Hmac-Sha256" env TILL_SECRET {
    kind at header "X-Shopify-Topic"
    "orders/create" means new order
  }
}

workflow sold {
  on new sale in Tills where paid and amount > 10
  create ticket in Desk { title: "sale to " + ship.city, author: "till" }
}
"#;

const TILL_SECRET: &str = "till-secret";

/// `weir serve` with the tills' script, and the desk it writes to: the server is dropped
/// (killed) first, then its directory.
fn tills(name: &str) -> (Serve, Scratch, RestApp) {
    let desk = RestApp::start();
    let dir = scratch(name);
    std::fs::write(dir.join("tills.weir"), TILLS.replace("DESK", &desk.url)).unwrap();
    let args = [
        "serve",
        "tills.weir",
        "--listen",
        "127.0.0.1:0",
        "--journal",
        "weir.db",
    ];
    let serve = Serve::launch(&dir, &args, &[("TILL_SECRET", TILL_SECRET)])
        .unwrap_or_else(|out| panic!("weir serve did not start: {}", text(&out.stderr)));
    (serve, dir, desk)
}

/// The error and help of a refusal.
fn refusal(answer: &Json) -> (String, String) {
    (
        answer["error"].as_str().unwrap_or_default().to_string(),
        answer["help"].as_str().unwrap_or_default().to_string(),
    )
}

/// A form's fields are texts on the wire: each is read as its field's type says (`amount=12`
/// a number, `paid=true` a bool), and `ship[city]=Berlin` as the nested field `ship.city`. A
/// value that does not read as its type, and a bracketed field the entity does not declare,
/// are refused naming the form's field; a kind with no meaning is guessed `new`, as a form
/// is a request.
#[test]
fn form_fields_are_read_as_the_entity_declares_them() {
    let (serve, _dir, desk) = tills("hooks-typed-forms");
    let secret = TILL_SECRET;
    let scheme = Scheme::Hmac {
        header: "X-Signature".into(),
        prefix: "sha256=".into(),
        base64: false,
    };
    let form = |body: &str| {
        let mut headers = signed(&scheme, secret, body, now());
        headers.push(("Content-Type", "application/x-www-form-urlencoded".into()));
        serve.post("/hooks/tills", body, &headers)
    };
    let (status, answer) =
        form("event=sale&event_id=e1&amount=12.5&paid=true&ship%5Bcity%5D=Berlin&ship[zip]=10115");
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = form("event=sale&event_id=e2&amount=12%2C50&paid=true&ship[city]=Rome");
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        refusal(&answer),
        (
            "`amount` is a number field, but the form gives `12,50`".into(),
            "send a number in the form's `amount`, as in `amount=12.5`".into()
        )
    );
    let (status, answer) = form("event=sale&event_id=e3&amount=3&paid=yes&ship[city]=Rome");
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        refusal(&answer).0,
        "`paid` is a bool field, but the form gives `yes`"
    );
    let (status, answer) =
        form("event=sale&event_id=e4&amount=3&paid=true&ship[city]=Rome&ship[zip]=x1");
    assert_eq!(
        (status, refusal(&answer).0),
        (
            422,
            "`ship.zip` is a number field, but the form gives `x1`".into()
        ),
        "{answer}"
    );
    let (status, answer) =
        form("event=sale&event_id=e5&amount=30&paid=true&ship[city]=Rome&ship[street]=Via+Appia");
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        refusal(&answer),
        (
            "the form has `ship[street]`, but `sale` in `Tills` declares no `ship.street`".into(),
            "declare a field read from it in `sale`, as in `ship_street: text? as \"ship.street\"`, or leave `ship[street]` out of the form".into()
        )
    );
    let (status, answer) = form("event=refund&event_id=e6&amount=3&paid=true&ship[city]=Rome");
    assert_eq!(status, 422, "{answer}");
    assert!(
        refusal(&answer)
            .1
            .starts_with("add `\"refund\" means new sale` to the webhooks of `Tills`"),
        "{answer}"
    );
    let health = serve.settle(1);
    assert_eq!(
        (&health["done"], &health["failed"]),
        (&json!(1), &json!(0)),
        "{health}"
    );
    let titles: Vec<Json> = desk
        .records("ticket")
        .iter()
        .map(|t| t["title"].clone())
        .collect();
    assert_eq!(titles, vec![json!("sale to Berlin")]);
}

/// A signature in base64, as Shopify sends it, at a route that reads hex: refused with how to
/// declare base64, and with whether it matched the body in base64.
#[test]
fn a_base64_signature_where_hex_is_read_says_how_to_declare_it() {
    let (serve, _dir, _desk) = tills("hooks-base64-help");
    let secret = TILL_SECRET;
    // A provider that signs in base64, as Shopify does, at a route that reads hex.
    let order = r#"{"id":820982911946154508,"total_price":"199.65"}"#;
    let shopify = Scheme::Hmac {
        header: "X-Hmac-Sha256".into(),
        prefix: String::new(),
        base64: true,
    };
    let mut headers = signed(&shopify, secret, order, 0);
    headers.push(("X-Shopify-Topic", "orders/create".into()));
    headers.push(("Content-Type", "application/json".into()));
    let (status, answer) = serve.post("/hooks/shopify", order, &headers);
    assert_eq!(status, 401, "{answer}");
    assert_eq!(
        refusal(&answer),
        (
            "`X-Hmac-Sha256` holds the body's signature in base64, and the app's webhooks read `sha256=<hex>`".into(),
            "the provider signs in base64, as Shopify does: write `base64` after `header \"X-Hmac-Sha256\"` in the app's `signed` line".into()
        )
    );
}
