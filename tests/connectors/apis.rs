//! Mocks of the providers' APIs, answering as each API reference documents it: request and
//! reply shapes, statuses, paging and error bodies.

use std::sync::Mutex;

use serde_json::{Value as Json, json};

use super::mock::{Mock, Req, Resp};

/// HubSpot's CRM v3 contacts: `{"properties": {…}}` in, `{"id", "properties", …}` out,
/// `results` and `paging.next.after` in lists, 2 contacts a page.
pub fn hubspot() -> Mock {
    let contacts = Mutex::new(
        (1..=5)
            .map(|n| {
                (
                    format!("{n}00"),
                    json!({"email": format!("c{n}@example.com"), "firstname": "x"}),
                )
            })
            .collect::<Vec<_>>(),
    );
    Mock::start(move |req: &Req| {
        let mut contacts = contacts.lock().unwrap();
        if req.header("authorization") != Some("Bearer hs-token") {
            return Resp::json(
                401,
                json!({"status": "error", "message": "Authentication credentials not found.", "category": "INVALID_AUTHENTICATION"}),
            );
        }
        let path = req.path().to_string();
        match (req.method.as_str(), path.as_str()) {
            ("POST", "/crm/v3/objects/contacts") => {
                let props = req.json()["properties"].clone();
                if !props.is_object() {
                    return Resp::json(
                        400,
                        json!({"status": "error", "message": "Invalid input JSON", "category": "VALIDATION_ERROR"}),
                    );
                }
                let id = format!("{}", 900 + contacts.len());
                contacts.push((id.clone(), props.clone()));
                Resp::json(
                    201,
                    json!({"id": id, "properties": props, "createdAt": "2030-01-01T00:00:00Z", "archived": false}),
                )
            }
            ("GET", "/crm/v3/objects/contacts") => {
                let start: usize = req.query("after").map_or(0, |a| a.parse().unwrap());
                let page: Vec<Json> = contacts
                    .iter()
                    .skip(start)
                    .take(2)
                    .map(|(id, p)| json!({"id": id, "properties": p, "archived": false}))
                    .collect();
                let mut body = json!({"results": page});
                if start + 2 < contacts.len() {
                    body["paging"] = json!({"next": {"after": (start + 2).to_string(), "link": "https://api.hubapi.com/…"}});
                }
                Resp::json(200, body)
            }
            ("PATCH", p) => {
                let id = p.rsplit('/').next().unwrap().to_string();
                let Some((_, props)) = contacts.iter_mut().find(|(i, _)| *i == id) else {
                    return Resp::json(
                        404,
                        json!({"status": "error", "message": "Object not found", "category": "OBJECT_NOT_FOUND"}),
                    );
                };
                for (k, v) in req.json()["properties"].as_object().unwrap() {
                    props[k] = v.clone();
                }
                Resp::json(200, json!({"id": id, "properties": props.clone()}))
            }
            _ => Resp::json(404, json!({"status": "error", "message": "not found"})),
        }
    })
}

/// Stripe's customers: form-encoded bodies, `{"object": "list", "data", "has_more"}` lists
/// paged by `starting_after`, errors as `{"error": {"type", "message"}}`.
pub fn stripe() -> Mock {
    let customers = Mutex::new(
        (1..=3)
            .map(|n| json!({"id": format!("cus_{n}"), "object": "customer", "email": format!("c{n}@example.com"), "name": null}))
            .collect::<Vec<_>>(),
    );
    Mock::start(move |req: &Req| {
        let mut customers = customers.lock().unwrap();
        if req.header("authorization") != Some("Bearer sk_test_1") {
            return Resp::json(
                401,
                json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}),
            );
        }
        match (req.method.as_str(), req.path()) {
            ("POST", "/v1/customers") => {
                if req.header("content-type") != Some("application/x-www-form-urlencoded") {
                    return Resp::json(
                        400,
                        json!({"error": {"type": "invalid_request_error", "message": "form-encoded bodies only"}}),
                    );
                }
                let mut customer =
                    json!({"id": format!("cus_{}", customers.len() + 1), "object": "customer"});
                for (k, v) in req.form() {
                    customer[k] = json!(v);
                }
                customers.push(customer.clone());
                Resp::json(200, customer)
            }
            ("GET", "/v1/customers") => {
                let email = req.query("email");
                let after = req.query("starting_after");
                let matching: Vec<&Json> = customers
                    .iter()
                    .filter(|c| email.as_deref().is_none_or(|e| c["email"] == e))
                    .collect();
                let start = after.map_or(0, |a| {
                    matching.iter().position(|c| c["id"] == a).unwrap() + 1
                });
                let page: Vec<Json> = matching
                    .iter()
                    .skip(start)
                    .take(1)
                    .map(|c| (*c).clone())
                    .collect();
                let has_more = start + 1 < matching.len();
                Resp::json(
                    200,
                    json!({"object": "list", "url": "/v1/customers", "has_more": has_more, "data": page}),
                )
            }
            ("POST", p) => {
                let id = p.rsplit('/').next().unwrap();
                let Some(customer) = customers.iter_mut().find(|c| c["id"] == id) else {
                    return Resp::json(
                        404,
                        json!({"error": {"type": "invalid_request_error", "message": format!("No such customer: '{id}'")}}),
                    );
                };
                for (k, v) in req.form() {
                    customer[k] = json!(v);
                }
                Resp::json(200, customer.clone())
            }
            _ => Resp::json(
                404,
                json!({"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}),
            ),
        }
    })
}

/// GitHub's issues: JSON bodies, the issue's `number` names it in paths, lists paged by the
/// `Link` header.
pub fn github() -> Mock {
    let issue = |n: usize| json!({"id": n, "number": n, "title": format!("old {n}"), "body": null, "state": "open", "user": {"login": "octocat"}});
    let issues = Mutex::new(vec![issue(1345), issue(1346)]);
    Mock::start(move |req: &Req| {
        let mut issues = issues.lock().unwrap();
        if req.header("authorization") != Some("Bearer ghp_1") {
            return Resp::json(
                401,
                json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
            );
        }
        let path = req.path().to_string();
        match (req.method.as_str(), path.as_str()) {
            ("POST", "/repos/acme/clinic/issues") => {
                let body = req.json();
                let number = issues.len() + 1345;
                let issue = json!({
                    "id": 1, "node_id": "MDU6SXNzdWUx", "number": number,
                    "url": format!("https://api.github.com/repos/acme/clinic/issues/{number}"),
                    "html_url": format!("https://github.com/acme/clinic/issues/{number}"),
                    "title": body["title"], "body": body["body"], "state": "open",
                    "user": {"login": "octocat", "id": 1}, "labels": [], "locked": false
                });
                issues.push(issue.clone());
                Resp::json(201, issue)
            }
            ("GET", "/repos/acme/clinic/issues") => {
                // One issue a page, the next page in the `Link` header, as GitHub pages.
                let page: usize = req.query("page").map_or(1, |p| p.parse().unwrap());
                let items: Vec<Json> = issues.iter().skip(page - 1).take(1).cloned().collect();
                let mut resp = Resp::json(200, Json::Array(items));
                if page < issues.len() {
                    let base = format!(
                        "http://{}/repos/acme/clinic/issues?state=all&per_page=100",
                        req.header("host").unwrap()
                    );
                    resp = resp.with_header(
                        "Link",
                        &format!(
                            "<{base}&page={}>; rel=\"next\", <{base}&page={}>; rel=\"last\"",
                            page + 1,
                            issues.len()
                        ),
                    );
                }
                resp
            }
            ("PATCH", p) if p.starts_with("/repos/acme/clinic/issues/") => {
                let number: usize = p.rsplit('/').next().unwrap().parse().unwrap();
                let Some(issue) = issues.iter_mut().find(|i| i["number"] == number) else {
                    return Resp::json(404, json!({"message": "Not Found"}));
                };
                for (k, v) in req.json().as_object().unwrap() {
                    issue[k] = v.clone();
                }
                Resp::json(200, issue.clone())
            }
            _ => Resp::json(
                404,
                json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
            ),
        }
    })
}

/// Google's token endpoint (refresh-token grant, form-encoded) and Calendar API v3 events.
/// `first_401` makes the first event request answer 401 (a token revoked early); `refuse`
/// makes the token endpoint answer `invalid_grant`; `always_401` refuses every token.
pub fn google(first_401: bool, refuse: bool, always_401: bool) -> Mock {
    let state = Mutex::new((0u32, first_401));
    Mock::start(move |req: &Req| {
        let mut state = state.lock().unwrap();
        if req.path() == "/token" {
            let form = req.form();
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            if refuse
                || get("grant_type") != Some("refresh_token")
                || get("refresh_token") != Some("1//rt")
                || get("client_secret") != Some("gsecret")
            {
                return Resp::json(
                    400,
                    json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
                );
            }
            state.0 += 1;
            return Resp::json(
                200,
                json!({"access_token": format!("ya29.{}", state.0), "expires_in": 3599, "scope": "https://www.googleapis.com/auth/calendar.events", "token_type": "Bearer"}),
            );
        }
        if state.1 || always_401 {
            state.1 = false;
            return Resp::json(
                401,
                json!({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}),
            );
        }
        if req.header("authorization") != Some(&format!("Bearer ya29.{}", state.0)) {
            return Resp::json(
                401,
                json!({"error": {"code": 401, "message": "Invalid Credentials"}}),
            );
        }
        let mut event = req.json();
        event["id"] = json!("evt1abc");
        event["kind"] = json!("calendar#event");
        event["status"] = json!("confirmed");
        Resp::json(200, event)
    })
}
