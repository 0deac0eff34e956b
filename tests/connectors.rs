//! The connectors shipped in `connectors/`, run by `weir run` against mock servers on
//! 127.0.0.1 that answer as each provider's API reference documents it: request and reply
//! shapes, statuses, paging and error bodies. Scripts use the connectors as shipped, pointed at
//! the mock by `use NAME at "…"` (and `token "…"` for OAuth2).

#[path = "connectors/apis.rs"]
mod apis;
#[path = "connectors/calendars.rs"]
mod calendars;
#[path = "connectors/calls.rs"]
mod calls;
#[path = "connectors/mock.rs"]
mod mock;
#[path = "connectors/prism.rs"]
mod prism;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use apis::{github, google, hubspot, stripe};
use mock::{Mock, Req, Resp};
use serde_json::{Value as Json, json};

/// A `use` of a connector as shipped, with its URL (and OAuth2 token URL, if any) on the mock.
fn connector(name: &str, mock: &str) -> String {
    let text = std::fs::read_to_string(format!("connectors/{name}.weir")).expect("the connector");
    let token = if text.contains("auth oauth2") {
        format!(" token \"{mock}/token\"")
    } else {
        String::new()
    };
    format!("use {name} at \"{mock}\"{token}\n")
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("weir-conn-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// `weir run script.weir --events events.jsonl` in `dir` (the connector and the flow in one
/// file, as `weir run` takes one), with these variables only.
fn run(dir: &Path, env: &[(&str, &str)]) -> Output {
    run_with(dir, &[], env)
}

/// [`run`] with more arguments after the script's.
fn run_with(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
    command
        .args([
            "run",
            "script.weir",
            "--events",
            "events.jsonl",
            "--retries",
            "0",
        ])
        .args(extra)
        .current_dir(dir)
        .env_clear()
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("weir runs")
}

fn setup(name: &str, app: String, flow: &str, events: &[Json]) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("script.weir"), app + "\n" + flow).unwrap();
    let lines: Vec<String> = events.iter().map(Json::to_string).collect();
    std::fs::write(dir.join("events.jsonl"), lines.join("\n") + "\n").unwrap();
    dir
}

/// Runs a script that must fail, and gives its standard error.
fn failing(name: &str, app: String, flow: &str, events: &[Json], env: &[(&str, &str)]) -> String {
    let dir = setup(name, app, flow, events);
    let out = run(&dir, env);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    err
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn order(kind: &str, id: Option<u64>, email: &str, name: &str) -> Json {
    let mut record = json!({"email": email, "name": name});
    if let Some(id) = id {
        record["id"] = json!(id);
    }
    json!({"kind": kind, "app": "Shop", "entity": "order", "record": record, "actor": "user"})
}

const SHOP: &str = "app Shop {\n  order { email: text, name: text }\n}\n";

// ---------------------------------------------------------------- HubSpot

#[test]
fn hubspot_contacts_travel_in_properties_and_lists_follow_the_cursor() {
    let api = hubspot();
    let flow = format!(
        "{SHOP}
workflow to_crm {{
  on new order in Shop
  create contact in HubSpot {{ email: email, first_name: name }}
}}
workflow rename {{
  on updated order in Shop
  update contact in HubSpot where email == \"c5@example.com\" {{ last_name: name }}
}}
"
    );
    let events = [
        order("new", None, "ana@example.com", "Ana"),
        order("updated", Some(1), "ana@example.com", "Lopez"),
    ];
    let dir = setup("hubspot", connector("hubspot", &api.url), &flow, &events);
    let out = run(&dir, &[("HUBSPOT_TOKEN", "hs-token")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seen = api.seen();
    let create = seen.iter().find(|r| r.method == "POST").expect("a create");
    assert_eq!(
        create.json(),
        json!({"properties": {"email": "ana@example.com", "firstname": "Ana"}})
    );
    let lists: Vec<&Req> = seen.iter().filter(|r| r.method == "GET").collect();
    assert_eq!(lists.len(), 3, "three pages of two: {lists:?}");
    assert_eq!(lists[1].query("after").as_deref(), Some("2"));
    assert_eq!(lists[0].query("limit").as_deref(), Some("100"));
    let patch = seen
        .iter()
        .find(|r| r.method == "PATCH")
        .expect("an update");
    assert_eq!(patch.path(), "/crm/v3/objects/contacts/500");
    assert_eq!(patch.json(), json!({"properties": {"lastname": "Lopez"}}));
    assert!(!text(&out.stdout).contains("hs-token") && !text(&out.stderr).contains("hs-token"));
}

#[test]
fn a_list_reply_in_another_shape_is_an_error_naming_the_app() {
    let api = Mock::start(|_req: &Req| Resp::json(200, json!({"contacts": []})));
    let flow = format!(
        "{SHOP}
workflow rename {{
  on updated order in Shop
  update contact in HubSpot where email == email {{ last_name: name }}
}}
"
    );
    let events = [
        order("new", None, "a@example.com", "A"),
        order("updated", Some(1), "a@example.com", "B"),
    ];
    let err = failing(
        "hubspot-shape",
        connector("hubspot", &api.url),
        &flow,
        &events,
        &[("HUBSPOT_TOKEN", "t")],
    );
    assert!(
        err.contains("HubSpot could not be read") || err.contains("HubSpot refused the read"),
        "{err}"
    );
    assert!(
        err.contains("without a list of records at `results`"),
        "{err}"
    );
    assert!(err.contains("records at"), "{err}");
}

// ---------------------------------------------------------------- Stripe

#[test]
fn stripe_customers_are_form_encoded_and_lists_page_after_the_last_id() {
    let api = stripe();
    let flow = format!(
        "{SHOP}
workflow to_stripe {{
  on new order in Shop
  create customer in Stripe {{ email: email, name: name }}
}}
workflow rename {{
  on updated order in Shop
  update customer in Stripe where email == trigger.email {{ name: name }}
}}
workflow describe_all {{
  on deleted order in Shop
  update customer in Stripe where name == none {{ description: \"from the shop\" }}
}}
"
    );
    let events = [
        order("new", None, "ana@example.com", "Ana"),
        order("updated", Some(1), "ana@example.com", "Ana Lopez"),
        json!({"kind": "deleted", "app": "Shop", "entity": "order", "record": {"id": 1}, "actor": "user"}),
    ];
    let dir = setup("stripe", connector("stripe", &api.url), &flow, &events);
    let out = run(&dir, &[("STRIPE_SECRET_KEY", "sk_test_1")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seen = api.seen();
    let create = seen
        .iter()
        .find(|r| r.method == "POST" && r.path() == "/v1/customers")
        .unwrap();
    assert_eq!(text(&create.body), "email=ana%40example.com&name=Ana");
    let filtered = seen
        .iter()
        .find(|r| r.query("email").is_some())
        .expect("a filtered list");
    assert_eq!(filtered.query("email").as_deref(), Some("ana@example.com"));
    let update = seen
        .iter()
        .find(|r| r.path() == "/v1/customers/cus_4")
        .expect("the update");
    assert_eq!(
        update.form(),
        vec![("name".to_string(), "Ana Lopez".to_string())]
    );
    // The unfiltered list pages one customer at a time, after the last id, while `has_more`.
    let pages: Vec<Option<String>> = seen
        .iter()
        .filter(|r| r.method == "GET" && r.query("email").is_none())
        .map(|r| r.query("starting_after"))
        .collect();
    assert_eq!(
        pages,
        [
            None,
            Some("cus_1".into()),
            Some("cus_2".into()),
            Some("cus_3".into())
        ]
    );
    let described: Vec<&str> = seen
        .iter()
        .filter(|r| r.form().iter().any(|(k, _)| k == "description"))
        .map(Req::path)
        .collect();
    assert_eq!(
        described,
        [
            "/v1/customers/cus_1",
            "/v1/customers/cus_2",
            "/v1/customers/cus_3"
        ]
    );
}

// ---------------------------------------------------------------- GitHub

#[test]
fn github_issues_are_named_by_number_in_the_repo_of_the_param() {
    let api = github();
    let flow = format!(
        "{SHOP}
workflow open_issue {{
  on new order in Shop
  create issue in GitHub {{ title: \"order from {{name}}\", body: email, state: \"open\" }}
}}
workflow close_issue {{
  on updated order in Shop
  update issue in GitHub linked {{ state: \"closed\" }}
}}
workflow retitle {{
  on deleted order in Shop
  update issue in GitHub where state == \"open\" {{ title: \"cancelled\" }}
}}
"
    );
    let events = [
        order("new", None, "ana@example.com", "Ana"),
        order("updated", Some(1), "ana@example.com", "Ana"),
        json!({"kind": "deleted", "app": "Shop", "entity": "order", "record": {"id": 1}, "actor": "user"}),
    ];
    let dir = setup("github", connector("github", &api.url), &flow, &events);
    let out = run(
        &dir,
        &[("GITHUB_TOKEN", "ghp_1"), ("GITHUB_REPO", "acme/clinic")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seen = api.seen();
    assert_eq!(
        seen[0].json(),
        json!({"title": "order from Ana", "body": "ana@example.com", "state": "open"})
    );
    let patch = seen
        .iter()
        .find(|r| r.method == "PATCH")
        .expect("the close");
    assert_eq!(patch.path(), "/repos/acme/clinic/issues/1347");
    assert_eq!(patch.json(), json!({"state": "closed"}));
    let pages: Vec<Option<String>> = seen
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.query("page"))
        .collect();
    assert_eq!(
        pages,
        [None, Some("2".into()), Some("3".into())],
        "pages by the Link header"
    );
    let retitled: Vec<&str> = seen
        .iter()
        .filter(|r| r.json()["title"] == "cancelled")
        .map(Req::path)
        .collect();
    assert_eq!(
        retitled,
        [
            "/repos/acme/clinic/issues/1345",
            "/repos/acme/clinic/issues/1346"
        ]
    );
}

#[test]
fn a_missing_param_stops_weir_before_anything_is_sent() {
    let api = github();
    let flow = format!(
        "{SHOP}\non new order in Shop do create issue in GitHub {{ title: name, state: \"open\" }}\n"
    );
    let err = failing(
        "github-param",
        connector("github", &api.url),
        &flow,
        &[order("new", None, "a@b.c", "A")],
        &[("GITHUB_TOKEN", "ghp_1")],
    );
    assert!(
        err.contains(
            "`GitHub` takes `repo` in its paths from the environment variable `GITHUB_REPO`"
        ),
        "{err}"
    );
    assert!(err.contains("export GITHUB_REPO="), "{err}");
    assert!(api.seen().is_empty());
}

#[test]
fn a_create_reply_without_the_id_where_the_mapping_says_is_an_error() {
    let api = Mock::start(|_req: &Req| Resp::json(201, json!({"id": 7, "title": "x"})));
    let flow = format!(
        "{SHOP}\non new order in Shop do create issue in GitHub {{ title: name, state: \"open\" }}\n"
    );
    let err = failing(
        "github-noid",
        connector("github", &api.url),
        &flow,
        &[order("new", None, "a@b.c", "A")],
        &[("GITHUB_TOKEN", "ghp_1"), ("GITHUB_REPO", "acme/clinic")],
    );
    assert!(err.contains("GitHub refused the write"), "{err}");
    assert!(
        err.contains("without the new record's id at `number`"),
        "{err}"
    );
    assert!(err.contains("id at"), "{err}");
}

// ---------------------------------------------------------------- Google Calendar, OAuth2

const BOOKING: &str = "app Booking {
  visit { patient: text, when: time }
}
workflow to_calendar {
  on new visit in Booking
  create event in GoogleCalendar { title: \"visit: {patient}\", start: when, end: when + 30m }
}
";

fn visit() -> Json {
    json!({"kind": "new", "app": "Booking", "entity": "visit", "record": {"patient": "Ana", "when": "2030-01-02T09:00:00Z"}, "actor": "user"})
}

const GOOGLE_ENV: [(&str, &str); 3] = [
    ("GOOGLE_CLIENT_ID", "gid"),
    ("GOOGLE_CLIENT_SECRET", "gsecret"),
    ("GOOGLE_REFRESH_TOKEN", "1//rt"),
];

#[test]
fn google_calendar_fetches_a_token_and_fetches_another_once_after_a_401() {
    let api = google(true, false, false);
    let dir = setup(
        "google",
        connector("google_calendar", &api.url),
        BOOKING,
        &[visit()],
    );
    let out = run(&dir, &GOOGLE_ENV);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seen = api.seen();
    let paths: Vec<(&str, &str)> = seen.iter().map(|r| (r.method.as_str(), r.path())).collect();
    assert_eq!(
        paths,
        [
            ("POST", "/token"),
            ("POST", "/calendars/primary/events"),
            ("POST", "/token"),
            ("POST", "/calendars/primary/events"),
        ]
    );
    assert_eq!(seen[3].header("authorization"), Some("Bearer ya29.2"));
    assert_eq!(
        seen[3].json(),
        json!({"summary": "visit: Ana", "start": {"dateTime": "2030-01-02T09:00:00Z"}, "end": {"dateTime": "2030-01-02T09:30:00Z"}})
    );
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        !all.contains("gsecret") && !all.contains("1//rt") && !all.contains("ya29"),
        "{all}"
    );
}

#[test]
fn a_refusing_token_endpoint_is_an_error_naming_the_app_with_a_fix() {
    let api = google(false, true, false);
    let err = failing(
        "google-refuse",
        connector("google_calendar", &api.url),
        BOOKING,
        &[visit()],
        &GOOGLE_ENV,
    );
    assert!(err.contains("GoogleCalendar refused the write: its OAuth2 token endpoint gave no token for a refresh token"), "{err}");
    assert!(err.contains("invalid_grant"), "{err}");
    assert!(
        err.contains("check the client id, the secret and the refresh token"),
        "{err}"
    );
    assert!(!err.contains("gsecret") && !err.contains("1//rt"), "{err}");
    assert_eq!(api.seen().len(), 1, "nothing but the token request");
}

#[test]
fn a_401_after_a_fresh_token_is_the_apps_answer() {
    let api = google(false, false, true);
    let err = failing(
        "google-401",
        connector("google_calendar", &api.url),
        BOOKING,
        &[visit()],
        &GOOGLE_ENV,
    );
    assert!(err.contains("answered 401 Unauthorized"), "{err}");
    assert!(
        err.contains("with a token just fetched: the app does not take it"),
        "{err}"
    );
    assert_eq!(
        api.seen().len(),
        4,
        "token, refused, token, refused: {:?}",
        api.seen()
    );
}

// ---------------------------------------------------------------- the loop checker

#[test]
fn a_two_way_mirror_between_two_connectors_is_caught_by_check() {
    let dir = scratch("mirror");
    std::fs::write(
        dir.join("flow.weir"),
        "use google_calendar
use microsoft_graph

workflow to_outlook {
  on new event in GoogleCalendar
  create event in Outlook { subject: title, start: start, start_zone: \"UTC\", end: end, end_zone: \"UTC\" }
}
workflow to_google {
  on new event in Outlook
  create event in GoogleCalendar { title: subject, start: start, end: end }
}
",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["check", "flow.weir"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("error[E0301]"), "{err}");
    assert!(
        err.contains("to_outlook") && err.contains("to_google"),
        "{err}"
    );
}

// ---------------------------------------------------------------- the files themselves

fn check(dir: &Path, files: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("check")
        .args(files)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn every_connector_checks_clean_in_the_canonical_layout_and_has_a_page() {
    // And each is shipped in the binary under its file's name: `use github`.
    let dir = scratch("use-all");
    let uses = "use github\nuse stripe\nuse hubspot\nuse google_calendar\nuse microsoft_graph\n";
    std::fs::write(dir.join("all.weir"), uses).unwrap();
    let out = check(&dir, &["all.weir"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let pages = [
        ("github", "github"),
        ("stripe", "stripe"),
        ("hubspot", "hubspot"),
        ("google_calendar", "google-calendar"),
        ("microsoft_graph", "microsoft-graph"),
    ];
    let shipped = std::fs::read_dir("connectors").unwrap().count();
    assert_eq!(shipped, pages.len(), "every connector is listed here");
    let here = Path::new(".");
    for (file, page) in pages {
        let path = format!("connectors/{file}.weir");
        let out = check(here, &[&path]);
        assert!(out.status.success(), "{path}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("no problems"),
            "{path}: {}",
            text(&out.stderr)
        );
        let fmt = Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["fmt", "--check", &path])
            .output()
            .unwrap();
        assert!(
            fmt.status.success(),
            "{path} is not in the canonical layout"
        );
        let doc = std::fs::read_to_string(format!("docs/connectors/{page}.md")).expect("a page");
        assert!(
            doc.contains(&format!("`connectors/{file}.weir`")),
            "{page}.md names its file"
        );
        let index = include_str!("../docs/real-apps.md");
        assert!(
            index.contains(&format!("(connectors/{page}.md)")),
            "real-apps.md links {page}.md"
        );
    }
}

#[test]
fn the_scripts_of_the_real_apps_page_check_clean() {
    let page = include_str!("../docs/real-apps.md");
    let dir = scratch("docs");
    let mut rest = page;
    let mut checked = 0;
    while let Some(open) = rest.find("```weir\n") {
        let body = &rest[open + 8..];
        let close = body.find("\n```").expect("a closed block");
        std::fs::write(dir.join("block.weir"), &body[..close + 1]).unwrap();
        let out = check(&dir, &["block.weir"]);
        assert!(
            out.status.success(),
            "{}\n{}",
            &body[..close],
            text(&out.stderr)
        );
        checked += 1;
        rest = &body[close + 4..];
    }
    assert!(checked >= 1, "the page has scripts");
}

// ---------------------------------------------------------------- GitHub's OpenAPI, by Prism

#[test]
fn github_requests_pass_prism_validating_githubs_openapi_description() {
    let dir = scratch("prism");
    let prism = match prism::start(&dir) {
        Ok(prism) => prism,
        Err(why) => {
            eprintln!("{why}");
            return;
        }
    };
    // Prism really validates: a create without its title is refused.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::blocking::Client::new();
    let bad = client
        .post(format!("{}/repos/acme/clinic/issues", prism.url))
        .header("Content-Type", "application/json")
        .body(r#"{"body": "no title"}"#)
        .send()
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422, "prism validates request bodies");
    let flow = format!(
        "{SHOP}
workflow open_issue {{
  on new order in Shop
  create issue in GitHub {{ title: \"order from {{name}}\", body: email, state: \"open\" }}
}}
workflow close_issue {{
  on updated order in Shop
  update issue in GitHub linked {{ state: \"closed\" }}
}}
"
    );
    let events = [
        order("new", None, "ana@example.com", "Ana"),
        order("updated", Some(1), "ana@example.com", "Ana"),
    ];
    std::fs::write(
        dir.join("script.weir"),
        connector("github", &prism.url) + "\n" + &flow,
    )
    .unwrap();
    let lines: Vec<String> = events.iter().map(Json::to_string).collect();
    std::fs::write(dir.join("events.jsonl"), lines.join("\n") + "\n").unwrap();
    let out = run(
        &dir,
        &[("GITHUB_TOKEN", "ghp_1"), ("GITHUB_REPO", "acme/clinic")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut log = Vec::new();
    while let Ok(line) = prism.log.recv_timeout(Duration::from_millis(300)) {
        log.push(line);
    }
    let received = log
        .iter()
        .filter(|l| l.contains("Request received"))
        .count();
    let passed = log
        .iter()
        .filter(|l| l.contains("passed the validation rules"))
        .count();
    // The refused create, then weir's: POST, PATCH.
    assert_eq!(received, 3, "{log:#?}");
    assert_eq!(passed, 2, "every request of weir's passes: {log:#?}");
    for method in [
        "post /repos/acme/clinic/issues",
        "patch /repos/acme/clinic/issues/1347",
    ] {
        assert!(log.iter().any(|l| l.contains(method)), "{method}: {log:#?}");
    }
}

#[test]
fn a_list_of_ten_thousand_records_is_read_page_by_page() {
    let api = Mock::start(|req: &Req| {
        if req.method == "PATCH" {
            return Resp::json(
                200,
                json!({"id": req.path().rsplit('/').next(), "properties": req.json()["properties"]}),
            );
        }
        let limit: usize = req.query("limit").unwrap().parse().unwrap();
        let start: usize = req.query("after").map_or(0, |a| a.parse().unwrap());
        let results: Vec<Json> = (start..(start + limit).min(10_000))
            .map(|n| json!({"id": n.to_string(), "properties": {"email": format!("c{n}@example.com")}}))
            .collect();
        let mut body = json!({"results": results});
        if start + limit < 10_000 {
            body["paging"] = json!({"next": {"after": (start + limit).to_string()}});
        }
        Resp::json(200, body)
    });
    let flow = format!(
        "{SHOP}
workflow rename {{
  on updated order in Shop
  update contact in HubSpot where email == trigger.email {{ last_name: name }}
}}
"
    );
    let events = [
        order("new", None, "c9999@example.com", "A"),
        order("updated", Some(1), "c9999@example.com", "Zed"),
    ];
    let dir = setup(
        "hubspot-10k",
        connector("hubspot", &api.url),
        &flow,
        &events,
    );
    let out = run(&dir, &[("HUBSPOT_TOKEN", "t")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seen = api.seen();
    assert_eq!(
        seen.iter().filter(|r| r.method == "GET").count(),
        100,
        "100 pages of 100"
    );
    let patches: Vec<&str> = seen
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(Req::path)
        .collect();
    assert_eq!(patches, ["/crm/v3/objects/contacts/9999"]);
}
