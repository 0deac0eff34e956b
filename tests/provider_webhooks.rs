//! Providers' webhooks sent to the real `weir serve`: GitHub's and Stripe's payloads, signed
//! with each provider's scheme, run the workflows they should and nothing else; bad requests
//! are answered with a status, a message and a fix; the echo of weir's own write, coming back
//! nested in a provider's payload, keeps its chain.
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

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rest_app::RestApp;
use serde_json::{Value as Json, json};
use serve::{Serve, scratch, text, wait_until, weir};
use weir::serve::schemes::Scheme;

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const STRIPE_SECRET: &str = "whsec_test_secret";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The provider's headers for `body`, signed with `scheme` at `at`, and `extra`.
fn signed(scheme: &Scheme, secret: &str, body: &str, at: u64) -> Vec<(&'static str, String)> {
    scheme
        .sign(secret.as_bytes(), body.as_bytes(), at)
        .into_iter()
        .map(|(k, v)| (leak(k), v))
        .collect()
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

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

    let shopify = Scheme::Hmac {
        header: "X-Shopify-Hmac-Sha256".into(),
        prefix: String::new(),
        base64: true,
    };
    let order = r#"{"id":820982911946154508,"email":"jon@example.com","total_price":"199.65","currency":"USD"}"#;
    let shop = |headers: Vec<(&'static str, String)>, id: &str| {
        let mut headers = headers;
        headers.push(("X-Shopify-Topic", "orders/create".into()));
        headers.push(("X-Shopify-Webhook-Id", id.into()));
        headers.push(("Content-Type", "application/json".into()));
        serve.post("/hooks/shopify", order, &headers)
    };
    let (status, answer) = shop(signed(&shopify, secret, order, 0), "w-1");
    assert_eq!(status, 202, "{answer}");
    let other = signed(&shopify, secret, "{}", 0);
    let (status, answer) = shop(other, "w-2");
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("`X-Shopify-Hmac-Sha256` does not match the body")),
        "{answer}"
    );
    let in_hex = Scheme::Hmac {
        header: "X-Shopify-Hmac-Sha256".into(),
        prefix: String::new(),
        base64: false,
    };
    let (status, answer) = shop(signed(&in_hex, secret, order, 0), "w-3");
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
