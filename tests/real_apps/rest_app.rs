//! A small REST app for the tests: records in memory, idempotency keys honoured (a list of the
//! writes it really made), faults on demand (5xx, 429 with `Retry-After`, slow replies, dropped
//! connections, reads that fail, an answer held back), and a webhook that calls weir back after
//! every write, signed.
//!
//! It speaks plain HTTP/1.1 on a std `TcpListener`, one request per connection, so that a test
//! can break a connection exactly where it wants to.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value as Json, json};

/// What the app does to the next write instead of (or before) making it.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answers with this status and a JSON error.
    Status(u16, &'static str),
    /// Answers 429 with `Retry-After: N`.
    TooMany(u64),
    /// Makes the write, then waits this long before answering.
    Slow(Duration),
    /// Closes the connection without an answer (before making the write).
    Drop,
}

/// One request as the app saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub key: Option<String>,
    pub origin: Option<String>,
    pub auth: Option<String>,
}

/// A write the app made (not one it answered again from its idempotency keys).
#[derive(Clone, Debug)]
pub struct Applied {
    pub method: String,
    pub path: String,
    pub key: Option<String>,
    pub body: Json,
}

#[derive(Default)]
struct State {
    records: HashMap<String, Vec<(String, Json)>>,
    next: u64,
    replies: HashMap<String, (u16, String)>,
    faults: VecDeque<Fault>,
    /// Every write fails with 503 while this is set.
    down: bool,
    /// Every write is made, then answered after this long.
    slow: Option<Duration>,
    /// Reads still answered, then the status every later read gets.
    failing_reads: Option<(usize, u16)>,
    seen: Vec<Seen>,
    applied: Vec<Applied>,
    /// The write that is the app's `n`th made is answered only once this changes.
    hold: Option<usize>,
}

/// Where the app sends its webhooks: weir's address, the app's name there, the secret.
#[derive(Clone)]
pub struct Hook {
    pub weir: String,
    pub app: String,
    pub secret: String,
}

pub struct RestApp {
    pub url: String,
    state: Arc<Mutex<State>>,
    hook: Arc<Mutex<Option<Hook>>>,
    stop: Arc<AtomicBool>,
}

impl RestApp {
    pub fn start() -> RestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port on 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let hook: Arc<Mutex<Option<Hook>>> = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, h, st) = (Arc::clone(&state), Arc::clone(&hook), Arc::clone(&stop));
        listener.set_nonblocking(true).unwrap();
        thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (s, h) = (Arc::clone(&s), Arc::clone(&h));
                        thread::spawn(move || serve(stream, &s, &h));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        RestApp {
            url,
            state,
            hook,
            stop,
        }
    }

    pub fn fail_next(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.lock().unwrap().faults.extend(faults);
    }

    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }

    /// Every write from now on is made at once and answered after `wait`.
    pub fn set_slow(&self, wait: Duration) {
        self.state.lock().unwrap().slow = Some(wait);
    }

    /// After `answered` more reads (`GET`), every read is answered with `status`; `None`
    /// answers reads again.
    pub fn fail_reads(&self, fail: Option<(usize, u16)>) {
        self.state.lock().unwrap().failing_reads = fail;
    }

    /// The `n`th write the app makes (counting from its start, from 1) is made, and its
    /// answer held back until this is called again (at most 10 s); `None` holds nothing.
    pub fn hold_write(&self, n: Option<usize>) {
        self.state.lock().unwrap().hold = n;
    }

    /// Every write the app made, in order (those answered again from an idempotency key are
    /// not made again, and not here).
    pub fn applied(&self) -> Vec<Applied> {
        self.state.lock().unwrap().applied.clone()
    }

    pub fn hook_to(&self, hook: Hook) {
        *self.hook.lock().unwrap() = Some(hook);
    }

    pub fn records(&self, entity: &str) -> Vec<Json> {
        let state = self.state.lock().unwrap();
        state
            .records
            .get(entity)
            .map(|r| r.iter().map(|(_, j)| j.clone()).collect())
            .unwrap_or_default()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// A person creates a record in the app: it is stored, and the webhook tells weir.
    pub fn user_creates(&self, entity: &str, fields: Json) -> String {
        let record = {
            let mut state = self.state.lock().unwrap();
            store(&mut state, entity, fields)
        };
        let id = record["id"].as_str().unwrap().to_string();
        send_hook(&self.hook, entity, "new", &record, None);
        id
    }
}

impl Drop for RestApp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn store(state: &mut State, entity: &str, fields: Json) -> Json {
    state.next += 1;
    let id = format!("r{}", state.next);
    let mut record = fields;
    record["id"] = json!(id);
    state
        .records
        .entry(entity.to_string())
        .or_default()
        .push((id, record.clone()));
    record
}

/// A script that copies notes both ways between two of these apps, `Notes` at `notes` and
/// `Board` at `board`: a loop the checker sees (serve it with `--no-check`), which only the
/// write ledger lets the run-time guard see at run time.
#[allow(
    dead_code,
    reason = "the loop tests use it; each test file builds this module"
)]
pub fn notes_both_ways(notes: &str, board: &str) -> String {
    format!(
        r#"app Notes at "{notes}" {{ note {{ text: text }} }}
app Board at "{board}" {{ note {{ text: text }} }}

workflow to_board {{
  on new note in Notes
  create note in Board {{ text: text }}
}}

workflow to_notes {{
  on new note in Board
  create note in Notes {{ text: text }}
}}
"#
    )
}

/// An HTTP client (with rustls' ring provider, as weir itself uses).
pub fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::new()
}

/// The headers of a signed `POST` to weir: `headers` (`X-Weir-Event-Id`, `X-Weir-Actor`,
/// `X-Weir-Changed`, as the request carries them) with `X-Weir-Timestamp` (now) and
/// `X-Weir-Signature` added.
pub fn signed(
    secret: &str,
    path: &str,
    body: &[u8],
    headers: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    signed_at(secret, weir::serve::signing::now(), path, body, headers)
}

/// [`signed`], at a given time (unix seconds).
pub fn signed_at(
    secret: &str,
    at: u64,
    path: &str,
    body: &[u8],
    headers: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.trim())
    };
    let timestamp = at.to_string();
    let signature = weir::serve::signing::Signed {
        timestamp: &timestamp,
        method: "POST",
        path,
        event_id: find("X-Weir-Event-Id"),
        actor: find("X-Weir-Actor"),
        changed: find("X-Weir-Changed"),
        body,
    }
    .sign(secret.as_bytes());
    let mut all = headers.to_vec();
    all.push(("X-Weir-Timestamp", timestamp));
    all.push(("X-Weir-Signature", signature));
    all
}

fn send_hook(
    hook: &Mutex<Option<Hook>>,
    entity: &str,
    kind: &str,
    record: &Json,
    actor: Option<String>,
) {
    let Some(hook) = hook.lock().unwrap().clone() else {
        return;
    };
    let body = record.to_string();
    let path = format!("/events/{}/{entity}/{kind}", hook.app);
    let url = format!("{}{path}", hook.weir);
    let actor: Vec<_> = actor.into_iter().map(|a| ("X-Weir-Actor", a)).collect();
    let headers = signed(&hook.secret, &path, body.as_bytes(), &actor);
    thread::spawn(move || {
        let client = client();
        let mut request = client.post(url).timeout(Duration::from_secs(5)).body(body);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let _ = request.send();
    });
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn respond(mut stream: TcpStream, status: u16, body: &str, extra: &[(&str, String)]) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

#[expect(
    clippy::too_many_lines,
    reason = "the mock app's request handler: the request recorded, a fault injected if one is queued, then one arm per route it answers"
)]
fn serve(stream: TcpStream, state: &Mutex<State>, hook: &Mutex<Option<Hook>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(request) = read_request(&stream) else {
        return;
    };
    let key = request.headers.get("idempotency-key").cloned();
    let origin = request.headers.get("x-weir-origin").cloned();
    let (path, query) = match request.path.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (request.path.clone(), None),
    };
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(String::from)
        .collect();
    let write = request.method != "GET";
    let mut slow = None;
    let mut s = state.lock().unwrap();
    s.seen.push(Seen {
        method: request.method.clone(),
        path: request.path.clone(),
        key: key.clone(),
        origin: origin.clone(),
        auth: request.headers.get("authorization").cloned(),
    });
    if write {
        if let Some(key) = &key
            && let Some((status, body)) = s.replies.get(key).cloned()
        {
            drop(s);
            return respond(stream, status, &body, &[]);
        }
        if s.down {
            drop(s);
            return respond(stream, 503, r#"{"error":"down for maintenance"}"#, &[]);
        }
        match s.faults.pop_front() {
            Some(Fault::Status(status, message)) => {
                drop(s);
                let body = json!({ "error": message }).to_string();
                return respond(stream, status, &body, &[]);
            }
            Some(Fault::TooMany(seconds)) => {
                drop(s);
                let body = r#"{"error":"slow down"}"#;
                return respond(stream, 429, body, &[("Retry-After", seconds.to_string())]);
            }
            Some(Fault::Drop) => return,
            Some(Fault::Slow(wait)) => slow = Some(wait),
            None => slow = s.slow,
        }
    } else if let Some((answered, status)) = s.failing_reads {
        if answered == 0 {
            drop(s);
            let body = json!({ "error": "cannot read now" }).to_string();
            return respond(stream, status, &body, &[]);
        }
        s.failing_reads = Some((answered - 1, status));
    }
    let entity = segments.first().cloned().unwrap_or_default();
    let body: Json = serde_json::from_slice(&request.body).unwrap_or(Json::Null);
    let sent = body.clone();
    let (status, reply, hooked) = match (request.method.as_str(), segments.len()) {
        ("POST", 1) => {
            let record = store(&mut s, &entity, body);
            (201, record.clone(), Some(("new", record)))
        }
        ("GET", 1) => {
            let wanted: Vec<(String, String)> = query
                .unwrap_or_default()
                .split('&')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.replace("%40", "@").replace('+', " ")))
                .collect();
            let all = s.records.get(&entity).cloned().unwrap_or_default();
            let found: Vec<Json> = all
                .into_iter()
                .map(|(_, r)| r)
                .filter(|r| {
                    wanted.iter().all(|(k, v)| match &r[k] {
                        Json::String(t) => t == v,
                        other => serde_json::from_str::<Json>(v).ok().as_ref() == Some(other),
                    })
                })
                .collect();
            (200, Json::Array(found), None)
        }
        (method, 2) => {
            let id = &segments[1];
            let list = s.records.entry(entity.clone()).or_default();
            match list.iter().position(|(i, _)| i == id) {
                None => (404, json!({"error": "no such record"}), None),
                Some(i) => match method {
                    "GET" => (200, list[i].1.clone(), None),
                    "PATCH" => {
                        if let (Json::Object(r), Json::Object(b)) = (&mut list[i].1, body) {
                            r.extend(b);
                        }
                        let record = list[i].1.clone();
                        (200, record.clone(), Some(("updated", record)))
                    }
                    "DELETE" => {
                        let (_, record) = list.remove(i);
                        (200, record.clone(), Some(("deleted", record)))
                    }
                    _ => (405, json!({"error": "no"}), None),
                },
            }
        }
        _ => (404, json!({"error": "no such route"}), None),
    };
    let text = reply.to_string();
    if write && status < 300 {
        s.applied.push(Applied {
            method: request.method.clone(),
            path: request.path.clone(),
            key: key.clone(),
            body: sent,
        });
    }
    if write && let Some(key) = key {
        s.replies.insert(key, (status, text.clone()));
    }
    let held = write && status < 300 && s.hold == Some(s.applied.len());
    let hold = s.hold;
    drop(s);
    if let Some(wait) = slow {
        thread::sleep(wait);
    }
    for _ in 0..(if held { 2000 } else { 0 }) {
        if state.lock().unwrap().hold != hold {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    respond(stream, status, &text, &[]);
    if let Some((kind, record)) = hooked {
        send_hook(hook, &entity, kind, &record, origin);
    }
}
