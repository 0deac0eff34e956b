//! Providers' webhooks sent to the real `weir serve`: GitHub's and Stripe's payloads, signed
//! with each provider's scheme, run the workflows they should and nothing else; bad requests
//! are answered with a status, a message and a fix; the echo of weir's own write, coming back
//! nested in a provider's payload, keeps its chain.
//!
//! GitHub's payload is built from GitHub's own description of its webhooks (npm
//! `@octokit/openapi-webhooks`, installed by `.ci/run` into `$WEIR_NPM_DIR`): every property
//! the schema of `issues.opened` requires, filled from the schema. Where the package is not
//! installed, that test says so and passes without sending anything. Stripe's events are
//! the examples of its API reference (`tests/provider_webhooks/*.json`).

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
use serde_json::{Map, Value as Json, json};
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

/// A value for a JSON schema: every required property, each from its own schema.
fn fill(schema: &Json, all: &Json, depth: usize) -> Json {
    if depth > 12 {
        return Json::Null;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return fill(&all["components"]["schemas"][name], all, depth + 1);
    }
    for choice in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[choice].as_array().and_then(|c| c.first()) {
            return fill(first, all, depth + 1);
        }
    }
    if let Some(value) = schema["enum"]
        .as_array()
        .and_then(|e| e.iter().find(|v| !v.is_null()))
    {
        return value.clone();
    }
    let ty = match &schema["type"] {
        Json::String(t) => t.as_str(),
        Json::Array(types) => types
            .iter()
            .filter_map(Json::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema["properties"].is_object() => "object",
        _ => "null",
    };
    match ty {
        "object" => {
            let mut object = Map::new();
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            for name in required.iter().filter_map(Json::as_str) {
                let property = &schema["properties"][name];
                object.insert(name.to_string(), fill(property, all, depth + 1));
            }
            Json::Object(object)
        }
        "array" => json!([]),
        "string" => match schema["format"].as_str() {
            Some("date-time") => json!("2019-05-15T15:20:49Z"),
            Some("uri" | "uri-template") => json!("https://github.com/octocat"),
            _ => json!("octocat"),
        },
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        _ => Json::Null,
    }
}

/// An `issues` webhook of `action`, as GitHub's schema of it requires, or `None` when the
/// package is not installed.
fn github_issue_payload(action: &str) -> Option<Json> {
    let file =
        npm_dir().join("node_modules/@octokit/openapi-webhooks/generated/api.github.com.json");
    let description: Json = serde_json::from_slice(&std::fs::read(&file).ok()?).ok()?;
    let schema = &description["components"]["schemas"][format!("webhook-issues-{action}")];
    assert!(schema.is_object(), "GitHub describes `issues.{action}`");
    Some(fill(schema, &description, 0))
}

/// The ping GitHub sends when a webhook is made, as the package gives it.
fn github_ping() -> Option<Json> {
    let file =
        npm_dir().join("node_modules/@octokit/openapi-webhooks/generated/api.github.com.json");
    let description: Json = serde_json::from_slice(&std::fs::read(&file).ok()?).ok()?;
    Some(description["components"]["examples"]["ping"]["value"].clone())
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
fn githubs_issues_webhooks_run_their_workflows_once() {
    let Some(mut opened) = github_issue_payload("opened") else {
        eprintln!(
            "skipped: @octokit/openapi-webhooks is not installed in {} (`.ci/run` installs it with npm)",
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
    opened["issue"]["number"] = json!(1347);
    opened["issue"]["title"] = json!("Found a bug");
    opened["issue"]["state"] = json!("open");
    opened["issue"]["user"]["login"] = json!("octocat");
    // Everything else the schema requires is there too, and weir declares none of it.
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

    let mut closed = github_issue_payload("closed").unwrap();
    closed["issue"]["number"] = json!(1347);
    closed["issue"]["title"] = json!("Found a bug");
    closed["issue"]["state"] = json!("closed");
    let (status, answer) = github_post(&serve, "issues", "72d3162e-2", &closed.to_string());
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
            (json!("Found a bug"), json!("octocat")),
            (json!("changed: Found a bug"), json!("octocat"))
        ]
    );

    // The ping GitHub sends when a webhook is made is answered, and nothing runs.
    let ping = github_ping().unwrap().to_string();
    let (status, answer) = github_post(&serve, "ping", "72d3162e-3", &ping);
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("pong")),
        "{answer}"
    );
    // A kind the connector does not declare.
    let mut labeled = github_issue_payload("labeled").unwrap();
    labeled["issue"]["title"] = json!("Found a bug");
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
    let (status, answer) = serve.post("/hooks/github", &body.replace("Found", "Lost"), &headers);
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

/// weir creates an issue in a tracker that signs like GitHub; the tracker's webhook about it
/// comes back nested (`{"action": "opened", "issue": {…}}`). The echo ledger knows it as weir's
/// own write: the chain goes on, and the run-time guard holds it after two hops, as it does
/// for weir's own route.
#[test]
fn the_echo_of_weirs_write_in_a_nested_payload_keeps_its_chain() {
    let tracker = RestApp::start();
    let dir = scratch("hooks-echo");
    let script = format!(
        r#"app Shop {{
  order {{ title: text }}
}}

app Tracker at "{}" {{
  issue {{ title: text, author: text? as "user.login" }}

  webhooks at "/hooks/tracker" signed github env TRACKER_SECRET {{
    kind at header "X-GitHub-Event", "action"
    id at header "X-GitHub-Delivery"
    "issues.opened" means new issue at "issue"
  }}
}}

workflow to_tracker {{
  on new order in Shop
  create issue in Tracker {{ title: title }}
}}

workflow to_shop {{
  on new issue in Tracker
  create order in Shop {{ title: title }}
}}
"#,
        tracker.url
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
    let serve = Serve::launch(&dir, &args, &[("TRACKER_SECRET", GITHUB_SECRET)]).unwrap();
    let (status, answer) = serve.post(
        "/events/Shop/order/new",
        r#"{"title": "Printer jam"}"#,
        &[("X-Weir-Event-Id", "o-1".to_string())],
    );
    assert_eq!(status, 202, "{answer}");
    assert!(wait_until(Duration::from_secs(20), || tracker
        .records("issue")
        .len()
        == 1));
    let issue = tracker.records("issue")[0].clone();
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
    let (status, answer) = serve.post("/hooks/tracker", &echo, &headers);
    assert_eq!(status, 202, "{answer}");
    let held = wait_until(Duration::from_secs(20), || serve.health()["held"] == 1);
    assert!(held, "{}", serve.health());
    let listed = weir(&["runs", "--journal", "weir.db", "--held"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("the run-time guard held a chain after 2 hops"),
        "{listing}"
    );
    assert_eq!(tracker.records("issue").len(), 1, "the chain stopped");
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

/// Each shell example of the documentation, one per scheme, run as written (curl and openssl
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
    for scheme in ["github", "stripe", "slack", "hmac"] {
        assert!(
            commands.contains(&format!("# {scheme}:")),
            "an example for `{scheme}`"
        );
    }
    assert_eq!(
        answers.matches(r#"{"status":"accepted""#).count(),
        4,
        "{answers}\n{}",
        text(&out.stderr)
    );
}
