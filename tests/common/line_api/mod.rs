//! A stand-in for the LINE Messaging API on 127.0.0.1: it checks the bearer
//! token and the request bodies against the documented limits, answers as
//! LINE does (reply tokens work once, retry keys are accepted once), records
//! what it was sent, and can be told to fail the next calls.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

mod rich_menus;

pub use rich_menus::Shown;

/// One request the stand-in accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// `reply`, `push` or `loading`.
    pub endpoint: &'static str,
    pub body: Value,
    pub retry_key: Option<String>,
}

/// A failure to answer instead of handling a request.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    TooManyRequests,
    ServerError,
    InvalidReplyToken,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// Every request, including refused ones: (endpoint, status).
    attempts: Vec<(&'static str, u16)>,
    used_reply_tokens: HashSet<String>,
    accepted_retry_keys: HashSet<String>,
    failures: VecDeque<Failure>,
    /// The account's monthly push limit; `None`: no limit.
    push_limit: Option<u64>,
    rich_menus: rich_menus::RichMenus,
    /// Users' profile languages; unset: `ja`.
    languages: std::collections::HashMap<String, String>,
    /// Profiles asked for so far.
    profile_calls: usize,
}

/// The stand-in, running.
pub struct LineApi {
    pub address: SocketAddr,
    pub token: String,
    state: Arc<Mutex<State>>,
}

impl LineApi {
    /// Starts the stand-in on a free loopback port; it accepts `token`.
    pub fn start(token: &str) -> LineApi {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = (state.clone(), token.to_string());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(shared.clone()))
                .app_data(web::PayloadConfig::new(1 << 20))
                .route("/v2/bot/message/reply", web::post().to(reply))
                .route("/v2/bot/message/push", web::post().to(push))
                .route("/v2/bot/chat/loading/start", web::post().to(loading))
                .route("/v2/bot/message/quota", web::get().to(quota))
                .route(
                    "/v2/bot/message/quota/consumption",
                    web::get().to(consumption),
                )
                .route("/v2/bot/profile/{user}", web::get().to(profile))
                .configure(rich_menus::configure)
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind the stand-in");
        let address = server.addrs()[0];
        tokio::spawn(server.run());
        LineApi {
            address,
            token: token.to_string(),
            state,
        }
    }

    /// The base URL to configure as `line.api_base`.
    pub fn base(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Sets the account's monthly push limit (`None`: no limit).
    pub fn set_push_limit(&self, limit: Option<u64>) {
        self.state.lock().unwrap().push_limit = limit;
    }

    /// Sets the language of a user's LINE profile.
    pub fn set_language(&self, user: &str, language: &str) {
        self.state
            .lock()
            .unwrap()
            .languages
            .insert(user.to_string(), language.to_string());
    }

    /// The rich menus the account shows.
    pub fn rich_menus(&self) -> Shown {
        self.state.lock().unwrap().rich_menus.shown()
    }

    /// The object of the rich menu named `name`.
    pub fn rich_menu_object(&self, name: &str) -> Option<Value> {
        self.state.lock().unwrap().rich_menus.object(name)
    }

    /// Answer the next calls with these failures, in order.
    pub fn fail_next(&self, failures: &[Failure]) {
        self.state.lock().unwrap().failures.extend(failures);
    }

    /// What was accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// How many times a user's profile was asked for.
    pub fn profile_calls(&self) -> usize {
        self.state.lock().unwrap().profile_calls
    }

    /// Every call so far as (endpoint, status), refused ones included.
    pub fn attempts(&self) -> Vec<(&'static str, u16)> {
        self.state.lock().unwrap().attempts.clone()
    }

    /// Waits until `count` messages were accepted by `endpoint`, and returns
    /// them all; panics after `timeout`.
    pub async fn wait_for(&self, endpoint: &str, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received: Vec<Received> = self
                .received()
                .into_iter()
                .filter(|r| r.endpoint == endpoint)
                .collect();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {count} `{endpoint}` calls arrived; attempts: {:?}",
                received.len(),
                self.attempts()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

type Shared = web::Data<(Arc<Mutex<State>>, String)>;

fn error(status: u16, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .json(json!({ "message": message }))
}

/// The token, and any failure the test asked for; `Err` is the response
/// LINE would give.
fn authorize(
    shared: &Shared,
    endpoint: &'static str,
    request: &HttpRequest,
) -> Result<(), Box<HttpResponse>> {
    let (state, token) = &***shared;
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {token}"));
    let refuse = |status: u16, response: HttpResponse| {
        state.lock().unwrap().attempts.push((endpoint, status));
        Err(Box::new(response))
    };
    if !authorized {
        return refuse(
            401,
            error(
                401,
                "Authentication failed. Confirm that the access token in the authorization request header is valid.",
            ),
        );
    }
    let failure = state.lock().unwrap().failures.pop_front();
    match failure {
        Some(Failure::TooManyRequests) => refuse(
            429,
            error(
                429,
                "The API rate limit has been exceeded. Try again later.",
            ),
        ),
        Some(Failure::ServerError) => refuse(500, error(500, "An error occurred.")),
        Some(Failure::InvalidReplyToken) => refuse(400, error(400, "Invalid reply token")),
        None => Ok(()),
    }
}

/// The common checks of a JSON request; `Err` is the response LINE would
/// give.
fn check(
    shared: &Shared,
    endpoint: &'static str,
    request: &HttpRequest,
    body: &[u8],
) -> Result<Value, Box<HttpResponse>> {
    authorize(shared, endpoint, request)?;
    serde_json::from_slice::<Value>(body).map_err(|_| {
        shared.0.lock().unwrap().attempts.push((endpoint, 400));
        Box::new(error(400, "The request body could not be parsed as JSON"))
    })
}

fn details_response(problems: Vec<(String, String)>) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({
        "message": format!("The request body has {} error(s)", problems.len()),
        "details": problems
            .into_iter()
            .map(|(property, message)| json!({ "property": property, "message": message }))
            .collect::<Vec<_>>(),
    }))
}

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

fn check_action(path: &str, action: &Value, problems: &mut Vec<(String, String)>) {
    let label = &action["label"];
    if !label.is_string() || chars(label) == 0 || chars(label) > 20 {
        problems.push((
            format!("{path}.label"),
            "Length must be between 1 and 20".into(),
        ));
    }
    match action["type"].as_str() {
        Some("uri") => {
            let uri = action["uri"].as_str().unwrap_or_default();
            if !(uri.starts_with("https://")
                || uri.starts_with("http://")
                || uri.starts_with("tel:"))
                || uri.len() > 1000
            {
                problems.push((format!("{path}.uri"), "invalid uri".into()));
            }
        }
        Some("postback") => {
            let data = &action["data"];
            if !data.is_string() || chars(data) == 0 || chars(data) > 300 {
                problems.push((
                    format!("{path}.data"),
                    "Length must be between 1 and 300".into(),
                ));
            }
            if chars(&action["displayText"]) > 300 {
                problems.push((
                    format!("{path}.displayText"),
                    "Length must be at most 300".into(),
                ));
            }
        }
        _ => problems.push((format!("{path}.type"), "invalid action type".into())),
    }
}

/// A Flex container's problems: a bubble of at most 30 KB of JSON, or a
/// carousel of at most 12 bubbles and 50 KB; text components with text;
/// buttons with valid actions.
fn check_flex_container(path: &str, container: &Value, problems: &mut Vec<(String, String)>) {
    let size = serde_json::to_vec(container).map_or(usize::MAX, |json| json.len());
    match container["type"].as_str() {
        Some("bubble") if size > 30 * 1024 => {
            problems.push((path.into(), "A bubble must be at most 30 KB".into()))
        }
        Some("bubble") => {}
        Some("carousel") => {
            let bubbles = container["contents"].as_array().map_or(0, Vec::len);
            if bubbles == 0 || bubbles > 12 || size > 50 * 1024 {
                problems.push((path.into(), "1 to 12 bubbles, at most 50 KB".into()));
            }
        }
        _ => problems.push((format!("{path}.type"), "must be bubble or carousel".into())),
    }
    let mut stack = vec![(path.to_string(), container)];
    while let Some((at, node)) = stack.pop() {
        match node["type"].as_str() {
            Some("text") if chars(&node["text"]) == 0 => {
                problems.push((format!("{at}.text"), "must not be empty".into()));
            }
            Some("button") => check_action(&format!("{at}.action"), &node["action"], problems),
            _ => {}
        }
        for key in ["header", "hero", "body", "footer"] {
            if let Some(block) = node.get(key) {
                stack.push((format!("{at}.{key}"), block));
            }
        }
        if let Some(contents) = node["contents"].as_array() {
            for (i, child) in contents.iter().enumerate() {
                stack.push((format!("{at}.contents[{i}]"), child));
            }
        }
    }
}

/// The message array's problems, as LINE reports them.
fn check_messages(messages: &Value, quick_reply_needs_display_text: bool) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let Some(list) = messages.as_array() else {
        return vec![("messages".into(), "Must be an array".into())];
    };
    if list.is_empty() || list.len() > 5 {
        problems.push(("messages".into(), "Size must be between 1 and 5".into()));
    }
    for (i, message) in list.iter().enumerate() {
        let path = format!("messages[{i}]");
        match message["type"].as_str() {
            Some("text") => {
                let units = message["text"]
                    .as_str()
                    .map_or(0, |t| t.encode_utf16().count());
                if units == 0 || units > 5000 {
                    problems.push((
                        format!("{path}.text"),
                        "Length must be between 1 and 5000".into(),
                    ));
                }
            }
            Some("template") => {
                if chars(&message["altText"]) == 0 || chars(&message["altText"]) > 400 {
                    problems.push((
                        format!("{path}.altText"),
                        "Length must be between 1 and 400".into(),
                    ));
                }
                let template = &message["template"];
                if template["type"] != "buttons" {
                    problems.push((format!("{path}.template.type"), "unsupported here".into()));
                }
                if chars(&template["text"]) == 0 || chars(&template["text"]) > 160 {
                    problems.push((
                        format!("{path}.template.text"),
                        "Length must be between 1 and 160".into(),
                    ));
                }
                let actions = template["actions"].as_array().cloned().unwrap_or_default();
                if actions.is_empty() || actions.len() > 4 {
                    problems.push((
                        format!("{path}.template.actions"),
                        "Size must be between 1 and 4".into(),
                    ));
                }
                for (j, action) in actions.iter().enumerate() {
                    check_action(
                        &format!("{path}.template.actions[{j}]"),
                        action,
                        &mut problems,
                    );
                }
            }
            Some("flex") => {
                if chars(&message["altText"]) == 0 || chars(&message["altText"]) > 1500 {
                    problems.push((
                        format!("{path}.altText"),
                        "Length must be between 1 and 1500".into(),
                    ));
                }
                check_flex_container(
                    &format!("{path}.contents"),
                    &message["contents"],
                    &mut problems,
                );
            }
            _ => problems.push((format!("{path}.type"), "unsupported message type".into())),
        }
        if let Some(quick_reply) = message.get("quickReply") {
            let items = quick_reply["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() || items.len() > 13 {
                problems.push((
                    format!("{path}.quickReply.items"),
                    "Size must be between 1 and 13".into(),
                ));
            }
            for (j, item) in items.iter().enumerate() {
                let item_path = format!("{path}.quickReply.items[{j}]");
                if item["type"] != "action" {
                    problems.push((format!("{item_path}.type"), "must be action".into()));
                }
                let action = &item["action"];
                check_action(&format!("{item_path}.action"), action, &mut problems);
                if quick_reply_needs_display_text
                    && action["type"] == "postback"
                    && chars(&action["displayText"]) == 0
                {
                    problems.push((
                        format!("{item_path}.action.displayText"),
                        "required for quick reply".into(),
                    ));
                }
            }
        }
    }
    problems
}

fn accept(shared: &Shared, received: Received, status: u16) {
    let mut state = shared.0.lock().unwrap();
    state.attempts.push((received.endpoint, status));
    state.received.push(received);
}

async fn reply(shared: Shared, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let value = match check(&shared, "reply", &request, &body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    let problems = check_messages(&value["messages"], true);
    if !problems.is_empty() {
        shared.0.lock().unwrap().attempts.push(("reply", 400));
        return details_response(problems);
    }
    let token = value["replyToken"].as_str().unwrap_or_default().to_string();
    if token.is_empty() || !shared.0.lock().unwrap().used_reply_tokens.insert(token) {
        shared.0.lock().unwrap().attempts.push(("reply", 400));
        return error(400, "Invalid reply token");
    }
    accept(
        &shared,
        Received {
            endpoint: "reply",
            body: value,
            retry_key: None,
        },
        200,
    );
    HttpResponse::Ok().json(json!({ "sentMessages": [] }))
}

async fn push(shared: Shared, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let value = match check(&shared, "push", &request, &body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    let problems = check_messages(&value["messages"], true);
    if !problems.is_empty() || !value["to"].is_string() {
        shared.0.lock().unwrap().attempts.push(("push", 400));
        return details_response(problems);
    }
    let retry_key = request
        .headers()
        .get("x-line-retry-key")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    if let Some(key) = &retry_key {
        if uuid::Uuid::parse_str(key).is_err() {
            shared.0.lock().unwrap().attempts.push(("push", 400));
            return error(
                400,
                "The value for the 'X-Line-Retry-Key' header is invalid",
            );
        }
        if !shared
            .0
            .lock()
            .unwrap()
            .accepted_retry_keys
            .insert(key.clone())
        {
            shared.0.lock().unwrap().attempts.push(("push", 409));
            return HttpResponse::Conflict().json(
                json!({ "message": "The retry key is already accepted", "sentMessages": [] }),
            );
        }
    }
    accept(
        &shared,
        Received {
            endpoint: "push",
            body: value,
            retry_key,
        },
        200,
    );
    HttpResponse::Ok().json(json!({ "sentMessages": [] }))
}

/// GET /v2/bot/message/quota: the monthly limit, as LINE gives it.
async fn quota(shared: Shared, request: HttpRequest) -> HttpResponse {
    if let Err(response) = authorize(&shared, "quota", &request) {
        return *response;
    }
    match shared.0.lock().unwrap().push_limit {
        Some(limit) => HttpResponse::Ok().json(json!({ "type": "limited", "value": limit })),
        None => HttpResponse::Ok().json(json!({ "type": "none" })),
    }
}

/// GET /v2/bot/message/quota/consumption: the messages pushed this month
/// (replies are free).
async fn consumption(shared: Shared, request: HttpRequest) -> HttpResponse {
    if let Err(response) = authorize(&shared, "quota.consumption", &request) {
        return *response;
    }
    let pushed: usize = shared
        .0
        .lock()
        .unwrap()
        .received
        .iter()
        .filter(|r| r.endpoint == "push")
        .map(|r| r.body["messages"].as_array().map_or(0, Vec::len))
        .sum();
    HttpResponse::Ok().json(json!({ "totalUsage": pushed }))
}

async fn loading(shared: Shared, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let value = match check(&shared, "loading", &request, &body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    let seconds = value["loadingSeconds"].as_u64().unwrap_or(20);
    if !value["chatId"].is_string() || !(5..=60).contains(&seconds) || seconds % 5 != 0 {
        shared.0.lock().unwrap().attempts.push(("loading", 400));
        return error(400, "The request body has 1 error(s)");
    }
    accept(
        &shared,
        Received {
            endpoint: "loading",
            body: value,
            retry_key: None,
        },
        202,
    );
    HttpResponse::Accepted().json(json!({}))
}

/// GET /v2/bot/profile/{userId}: the user's profile. Failures asked for by
/// the test are left to the calls that send messages.
async fn profile(shared: Shared, request: HttpRequest, user: web::Path<String>) -> HttpResponse {
    let token = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if token != Some(&format!("Bearer {}", shared.1)) {
        return error(401, "Authentication failed.");
    }
    let language = {
        let mut state = shared.0.lock().unwrap();
        state.profile_calls += 1;
        state
            .languages
            .get(user.as_str())
            .cloned()
            .unwrap_or_else(|| "ja".into())
    };
    HttpResponse::Ok().json(json!({
        "userId": user.as_str(),
        "displayName": "住民",
        "language": language,
    }))
}
