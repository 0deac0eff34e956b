//! Providers' webhooks sent to the real `weir serve`: GitHub's and Stripe's payloads, signed
//! with each provider's scheme, run the workflows they should and nothing else; bad requests
//! are answered with a status, a message and a fix; the echo of weir's own write, coming back
//! nested in a provider's payload, keeps its chain. (Forms, base64 and the documentation's
//! shell examples are in `provider_forms.rs`.)
//!
//! GitHub's payloads are GitHub's published examples of its webhooks (npm
//! `@octokit/webhooks-examples`, installed by `.ci/run` into `$WEIR_NPM_DIR`), sent as they
//! are. Where the package is not installed, that test says so and passes without sending
//! anything. Stripe's events are the examples of its API reference
//! (`tests/provider_webhooks/*.json`, their sources in the README beside them).

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

use std::path::{Path, PathBuf};
use std::time::Duration;

use rest_app::RestApp;
use serde_json::{Value as Json, json};
use serve::{Serve, scratch, text, wait_until, weir};
use sign::{now, signed};
use weir::serve::schemes::Scheme;

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const STRIPE_SECRET: &str = "whsec_test_secret";

/// `weir serve` with the variables the connectors read.
fn start(dir: &Path, script: &str, extra: &[&str]) -> Serve {
    let mut args = vec![
        "serve",
        script,
        "--listen",
        "127.0.0.1:0",
        "--journal",
        "weir.db",
        "--backoff-ms",
        "10",
    ];
    args.extend_from_slice(extra);
    let env = [
        ("GITHUB_WEBHOOK_SECRET", GITHUB_SECRET),
        ("GITHUB_TOKEN", "ghp_test"),
        ("GITHUB_REPO", "octocat/Hello-World"),
        ("STRIPE_WEBHOOK_SECRET", STRIPE_SECRET),
        ("STRIPE_SECRET_KEY", "sk_test"),
    ];
    Serve::launch(dir, &args, &env)
        .unwrap_or_else(|out| panic!("weir serve did not start: {}", text(&out.stderr)))
}

/// The workflows that ran, in the order of their events, as `weir runs --json` lists them.
fn ran(dir: &Path) -> Vec<String> {
    let out = weir(&["runs", "--journal", "weir.db", "--json"], dir, &[]);
    let mut rows: Vec<Json> = text(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .collect();
    rows.sort_by_key(|row| row["event"].as_i64());
    rows.iter()
        .filter_map(|row| row["by"].as_str().map(str::to_string))
        .collect()
}

// ---------------------------------------------------------------- GitHub

fn npm_dir() -> PathBuf {
    std::env::var_os("WEIR_NPM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("weir-npm"))
}

/// GitHub's published examples of its webhooks (npm `@octokit/webhooks-examples`), or `None`
/// when the package is not installed.
fn github_examples() -> Option<Json> {
    let file = npm_dir().join("node_modules/@octokit/webhooks-examples/api.github.com/index.json");
    serde_json::from_slice(&std::fs::read(file).ok()?).ok()
}

/// The first of GitHub's examples of the webhook `event` (with `action`, where given).
fn github_example(examples: &Json, event: &str, action: Option<&str>) -> Json {
    let events = examples.as_array().expect("a list of events");
    let found = events
        .iter()
        .find(|e| e["name"] == event)
        .and_then(|e| e["examples"].as_array())
        .and_then(|all| all.iter().find(|x| action.is_none_or(|a| x["action"] == a)));
    found
        .unwrap_or_else(|| panic!("GitHub publishes an example of `{event}` {action:?}"))
        .clone()
}

const GITHUB_SCRIPT: &str = r#"use github

app Desk at "DESK" {
  ticket { title: text, author: text }
}

workflow opened {
  on new issue in GitHub
  create ticket in Desk { title: title, author: author ?? "nobody" }
}

workflow changed {
  on updated issue in GitHub
  create ticket in Desk { title: "changed: " + title, author: author ?? "nobody" }
}
"#;

fn github_post(serve: &Serve, event: &str, delivery: &str, body: &str) -> (u16, Json) {
    let mut headers = signed(&Scheme::GitHub, GITHUB_SECRET, body, now());
    headers.push(("X-GitHub-Event", event.to_string()));
    headers.push(("X-GitHub-Delivery", delivery.to_string()));
    headers.push(("Content-Type", "application/json".to_string()));
    serve.post("/hooks/github", body, &headers)
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one server's life: GitHub's webhooks sent in turn, each outcome depending on the ones before"
)]
fn githubs_published_issues_examples_run_their_workflows_once() {
    let Some(examples) = github_examples() else {
        eprintln!(
            "skipped: @octokit/webhooks-examples is not installed in {} (`.ci/run` installs it with npm)",
            npm_dir().display()
        );
        return;
    };
    let desk = RestApp::start();
    let dir = scratch("hooks-github");
    std::fs::write(
        dir.join("gh.weir"),
        GITHUB_SCRIPT.replace("DESK", &desk.url),
    )
    .unwrap();
    let serve = start(&dir, "gh.weir", &[]);
    // GitHub's own examples, sent as published: everything in them weir does not declare
    // (`repository`, `sender`, the issue's `labels`, `reactions`, …) is left out.
    let opened = github_example(&examples, "issues", Some("opened"));
    assert!(opened["repository"].is_object() && opened["sender"].is_object());
    assert!(opened["issue"].as_object().unwrap().len() > 20, "{opened}");
    let body = opened.to_string();
    let (status, answer) = github_post(&serve, "issues", "72d3162e-1", &body);
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("accepted")),
        "{answer}"
    );
    // GitHub sends a delivery again when it got no answer: it runs once.
    let (status, answer) = github_post(&serve, "issues", "72d3162e-1", &body);
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("duplicate")),
        "{answer}"
    );
    let edited = github_example(&examples, "issues", Some("edited")).to_string();
    let (status, answer) = github_post(&serve, "issues", "72d3162e-2", &edited);
    assert_eq!(status, 202, "{answer}");
    let health = serve.settle(2);
    assert_eq!(
        (&health["done"], &health["failed"]),
        (&json!(2), &json!(0)),
        "{health}"
    );
    assert_eq!(ran(&dir), ["opened", "changed"]);
    let titles: Vec<(Json, Json)> = desk
        .records("ticket")
        .iter()
        .map(|t| (t["title"].clone(), t["author"].clone()))
        .collect();
    assert_eq!(
        titles,
        [
            (
                json!("Spelling error in the README file"),
                json!("Codertocat")
            ),
            (
                json!("changed: Spelling error in the README file"),
                json!("Codertocat")
            )
        ]
    );

    // The ping GitHub sends when a webhook is made is answered, and nothing runs.
    let ping = github_example(&examples, "ping", None).to_string();
    let (status, answer) = github_post(&serve, "ping", "72d3162e-3", &ping);
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("pong")),
        "{answer}"
    );
    // A kind the connector does not declare.
    let labeled = github_example(&examples, "issues", Some("labeled"));
    let (status, answer) = github_post(&serve, "issues", "72d3162e-4", &labeled.to_string());
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().starts_with(
            "`GitHub` declares no webhook of kind `issues.labeled`; its kinds are `issues.opened`"
        ),
        "{answer}"
    );
    assert!(
        answer["help"]
            .as_str()
            .unwrap()
            .starts_with("add `\"issues.labeled\" means"),
        "{answer}"
    );
    // A body changed on the way, with the signature of the first.
    let mut headers = signed(&Scheme::GitHub, GITHUB_SECRET, &body, now());
    headers.push(("X-GitHub-Event", "issues".to_string()));
    let (status, answer) = serve.post(
        "/hooks/github",
        &body.replace("Spelling", "Grammar"),
        &headers,
    );
    assert_eq!(status, 401, "{answer}");
    assert_eq!(
        answer["error"],
        "`X-Hub-Signature-256` does not match the body"
    );
    // A route no app declares: the closest is named.
    let (status, answer) = serve.post("/hooks/githb", &body, &headers);
    assert_eq!(status, 404, "{answer}");
    assert_eq!(
        answer["help"],
        "did you mean `POST /hooks/github`? point the provider's webhook at it; the routes are POST /hooks/github"
    );
    assert_eq!(serve.health()["done"], 2, "nothing refused ran");
}

// ---------------------------------------------------------------- Stripe

fn stripe_event(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/provider_webhooks")
        .join(format!("{name}.json"));
    std::fs::read_to_string(path).expect("a Stripe example")
}

fn stripe_post(serve: &Serve, body: &str, at: u64) -> (u16, Json) {
    let mut headers = signed(&Scheme::Stripe, STRIPE_SECRET, body, at);
    headers.push(("Content-Type", "application/json".to_string()));
    serve.post("/hooks/stripe", body, &headers)
}

const STRIPE_SCRIPT: &str = r#"use stripe

app Desk at "DESK" {
  ticket { title: text, author: text }
}

workflow new_customer {
  on new customer in Stripe
  create ticket in Desk { title: "customer " + (email ?? "?"), author: name ?? "?" }
}

workflow invoice_changed {
  on updated invoice in Stripe where status == "paid"
  create ticket in Desk { title: "paid by " + customer, author: collection_method }
}
"#;

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one server's life: Stripe's events sent in turn, each outcome depending on the ones before"
)]
fn stripes_events_run_their_workflows_and_old_signatures_are_refused() {
    let desk = RestApp::start();
    let dir = scratch("hooks-stripe");
    std::fs::write(
        dir.join("stripe.weir"),
        STRIPE_SCRIPT.replace("DESK", &desk.url),
    )
    .unwrap();
    let serve = start(&dir, "stripe.weir", &[]);
    let created = stripe_event("customer_created");
    let (status, answer) = stripe_post(&serve, &created, now());
    assert_eq!(status, 202, "{answer}");
    let paid = stripe_event("invoice_paid");
    let (status, answer) = stripe_post(&serve, &paid, now());
    assert_eq!(status, 202, "{answer}");
    // The same event again, signed anew as Stripe does when it retries: taken once, by its id.
    let (status, answer) = stripe_post(&serve, &paid, now());
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("duplicate")),
        "{answer}"
    );
    let health = serve.settle(2);
    assert_eq!(
        (&health["done"], &health["failed"]),
        (&json!(2), &json!(0)),
        "{health}"
    );
    assert_eq!(ran(&dir), ["new_customer", "invoice_changed"]);
    let tickets: Vec<(Json, Json)> = desk
        .records("ticket")
        .iter()
        .map(|t| (t["title"].clone(), t["author"].clone()))
        .collect();
    assert_eq!(
        tickets,
        [
            (
                json!("customer jennyrosen@example.com"),
                json!("Jenny Rosen")
            ),
            (
                json!("paid by cus_NeZwdNtLEOXuvB"),
                json!("charge_automatically")
            )
        ]
    );

    // Signed ten minutes ago: outside the window of five.
    let (status, answer) = stripe_post(&serve, &created, now() - 600);
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .ends_with("seconds old, more than the 300 allowed"),
        "{answer}"
    );
    // A replayed request: the old header sent again with a new time in it.
    let old = signed(&Scheme::Stripe, STRIPE_SECRET, &created, now() - 600);
    let moved = old[0]
        .1
        .replacen(&format!("t={}", now() - 600), &format!("t={}", now()), 1);
    let (status, answer) = serve.post("/hooks/stripe", &created, &[("Stripe-Signature", moved)]);
    assert_eq!(status, 401, "{answer}");
    assert_eq!(
        answer["error"],
        "`Stripe-Signature` does not match the body"
    );
    // No signature at all.
    let (status, answer) = serve.post("/hooks/stripe", &created, &[]);
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"], "the request has no `Stripe-Signature`");
    // An event without the object where its kind keeps it.
    let mut hollow: Json = serde_json::from_str(&created).unwrap();
    hollow["id"] = json!("evt_hollow");
    hollow["data"] = json!({});
    let (status, answer) = stripe_post(&serve, &hollow.to_string(), now());
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        answer["error"],
        "the webhook has no `data.object`, where the record should be"
    );
    // A record that does not fit the entity: named as on weir's own route.
    let mut unfit: Json = serde_json::from_str(&paid).unwrap();
    unfit["id"] = json!("evt_unfit");
    unfit["data"]["object"]["collection_method"] = json!("barter");
    let (status, answer) = stripe_post(&serve, &unfit.to_string(), now());
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("collection_method"),
        "{answer}"
    );
    // An update without a field the entity requires: refused at the door, not failed later.
    let mut partial: Json = serde_json::from_str(&paid).unwrap();
    partial["id"] = json!("evt_partial");
    partial["data"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("customer");
    let (status, answer) = stripe_post(&serve, &partial.to_string(), now());
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        answer["error"],
        "the `invoice.paid` webhook has no `data.object.customer`: `invoice` in `Stripe` requires `customer`, read from there"
    );
    assert_eq!(serve.health()["done"], 2, "nothing refused ran");
}

// ---------------------------------------------------------------- strict, secrets, echoes

const STRICT: &str = r#"app Shop at "SHOP_URL" {
  order { total: number, email: text? as "customer.email" }

  webhooks at "/hooks/shop" signed hmac header "X-Shop-Hmac" env SHOP_SECRET {
    kind at header "X-Shop-Topic"
    id at header "X-Shop-Webhook-Id"
    strict
    "orders/create" means new order
  }
}

workflow big {
  on new order in Shop where total > 100
  notify "big order from {email ?? "?"}"
}
"#;

#[test]
fn strict_webhooks_refuse_an_undeclared_field_and_a_missing_secret_turns_the_route_off() {
    let dir = scratch("hooks-strict");
    std::fs::write(
        dir.join("shop.weir"),
        STRICT.replace("SHOP_URL", "http://127.0.0.1:9"),
    )
    .unwrap();
    let args = |journal| {
        [
            "serve",
            "shop.weir",
            "--listen",
            "127.0.0.1:0",
            "--journal",
            journal,
        ]
    };
    let scheme = Scheme::Hmac {
        header: "X-Shop-Hmac".into(),
        prefix: "sha256=".into(),
        base64: false,
    };
    let post = |serve: &Serve, body: &str, id: &str| {
        let mut headers = signed(&scheme, "shop-secret", body, 0);
        headers.push(("X-Shop-Topic", "orders/create".into()));
        headers.push(("X-Shop-Webhook-Id", id.into()));
        serve.post("/hooks/shop", body, &headers)
    };
    let serve = Serve::launch(&dir, &args("weir.db"), &[("SHOP_SECRET", "shop-secret")]).unwrap();
    // A provider's route takes POST only, and the refusal says so.
    let wrong = rest_app::client()
        .get(format!("{}/hooks/shop", serve.url))
        .timeout(Duration::from_secs(10))
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 405);
    let wrong: Json = serde_json::from_slice(&wrong.bytes().unwrap()).unwrap();
    assert_eq!(wrong["help"], "use POST for `/hooks/shop`", "{wrong}");
    let body =
        r#"{"id": 820982911946154508, "total": 120, "customer": {"email": "ada@example.com"}}"#;
    let (status, answer) = post(&serve, body, "w-1");
    assert_eq!(status, 202, "{answer}");
    let extra =
        r#"{"id": 2, "total": 5, "customer": {"email": "b@example.com"}, "currency": "EUR"}"#;
    let (status, answer) = post(&serve, extra, "w-2");
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        answer["error"],
        "the record has `currency`, which `order` in `Shop` does not declare, and its webhooks are `strict`"
    );
    assert_eq!(serve.settle(1)["done"], 1);
    drop(serve);

    // Without its secret the route is off, said at start and on every request.
    let serve = Serve::launch(&dir, &args("off.db"), &[]).unwrap();
    let (status, answer) = post(&serve, body, "w-3");
    assert_eq!(status, 503, "{answer}");
    assert_eq!(
        answer["error"],
        "the webhooks of `Shop` are off: the environment variable `SHOP_SECRET` held no secret when weir started"
    );
    let out = serve.terminate();
    assert!(
        text(&out.stderr).contains(
            "warning: the webhooks of `Shop` at /hooks/shop are off: the environment variable `SHOP_SECRET` holds no secret"
        ),
        "{}",
        text(&out.stderr)
    );
}

/// A loop through a provider: `to_app` writes a record `{title}` of `entity` in `App` (a
/// local app declared by `app`), and `echo` makes the provider's webhook about that record
/// (its body and headers), posted to `route`. The echo ledger knows it as weir's own write:
/// the chain goes on, and the run-time guard holds it after two hops, as it does for weir's
/// own route.
fn echo_is_held(
    name: &str,
    app: &str,
    entity: &str,
    route: &str,
    echo: impl Fn(&Json) -> (String, Vec<(&'static str, String)>),
) {
    let provider = RestApp::start();
    let dir = scratch(name);
    let script = format!(
        r#"app Shop {{
  order {{ title: text }}
}}

{}

workflow to_app {{
  on new order in Shop
  create {entity} in App {{ title: title }}
}}

workflow to_shop {{
  on new {entity} in App
  create order in Shop {{ title: title }}
}}
"#,
        app.replace("URL", &provider.url)
    );
    std::fs::write(dir.join("loop.weir"), script).unwrap();
    let args = [
        "serve",
        "loop.weir",
        "--listen",
        "127.0.0.1:0",
        "--journal",
        "weir.db",
        "--no-check",
        "--max-hops",
        "2",
    ];
    let env = [("APP_SECRET", GITHUB_SECRET)];
    let serve = Serve::launch(&dir, &args, &env).unwrap();
    let (status, answer) = serve.post(
        "/events/Shop/order/new",
        r#"{"title": "Printer jam"}"#,
        &[("X-Weir-Event-Id", "o-1".to_string())],
    );
    assert_eq!(status, 202, "{answer}");
    assert!(wait_until(Duration::from_secs(20), || provider
        .records(entity)
        .len()
        == 1));
    let (body, headers) = echo(&provider.records(entity)[0]);
    let (status, answer) = serve.post(route, &body, &headers);
    assert_eq!(status, 202, "{answer}");
    let held = wait_until(Duration::from_secs(20), || serve.health()["held"] == 1);
    assert!(held, "{}", serve.health());
    let listed = weir(&["runs", "--journal", "weir.db", "--held"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("the run-time guard held a chain after 2 hops"),
        "{listing}"
    );
    assert_eq!(provider.records(entity).len(), 1, "the chain stopped");
}

/// GitHub's shape: the issue nested under `issue`, the kind in a header and `action`.
#[test]
fn the_echo_of_weirs_write_in_a_nested_payload_keeps_its_chain() {
    let app = r#"app App at "URL" {
  issue { title: text, author: text? as "user.login" }

  webhooks at "/hooks/tracker" signed github env APP_SECRET {
    kind at header "X-GitHub-Event", "action"
    id at header "X-GitHub-Delivery"
    "issues.opened" means new issue at "issue"
  }
}"#;
    echo_is_held("hooks-echo", app, "issue", "/hooks/tracker", |issue| {
        let echo = json!({
            "action": "opened",
            "issue": { "id": issue["id"], "title": issue["title"], "user": { "login": "weir-bot" }, "labels": [] },
            "repository": { "full_name": "acme/desk" },
            "sender": { "login": "weir-bot" }
        })
        .to_string();
        let mut headers = signed(&Scheme::GitHub, GITHUB_SECRET, &echo, now());
        headers.push(("X-GitHub-Event", "issues".to_string()));
        headers.push(("X-GitHub-Delivery", "echo-1".to_string()));
        (echo, headers)
    });
}

/// Stripe's shape: the object two levels down under `data.object`, the kind and the event's
/// id in the body, the signature with its time.
#[test]
fn the_echo_of_weirs_write_in_a_stripe_event_keeps_its_chain() {
    let app = r#"app App at "URL" {
  customer { title: text as "description", email: text? }

  webhooks at "/hooks/billing" signed stripe env APP_SECRET {
    kind at "type"
    id at "id"
    "customer.created" means new customer at "data.object"
  }
}"#;
    echo_is_held(
        "hooks-echo-stripe",
        app,
        "customer",
        "/hooks/billing",
        |customer| {
            let echo = json!({
                "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",
                "object": "event",
                "type": "customer.created",
                "data": { "object": {
                    "id": customer["id"],
                    "object": "customer",
                    "description": customer["description"],
                    "email": null,
                    "balance": 0,
                    "metadata": {}
                } }
            })
            .to_string();
            let headers = signed(&Scheme::Stripe, GITHUB_SECRET, &echo, now());
            (echo, headers)
        },
    );
}
