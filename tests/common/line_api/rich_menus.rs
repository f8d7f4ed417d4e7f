//! The stand-in's rich menus, as the Messaging API reference documents
//! them: objects checked (sizes, 1–20 areas inside the menu, chat bar text
//! of 1–14 characters, valid actions), one image per menu (PNG or JPEG of
//! the menu's size, at most 1 MB, never replaced), aliases, and the
//! default menu, which must have its image.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::{Shared, authorize, chars, check, check_action, details_response, error};

/// The account's rich menus.
#[derive(Default)]
pub struct RichMenus {
    /// Id → the object as created, and whether its image was uploaded.
    menus: BTreeMap<String, (Value, bool)>,
    aliases: BTreeMap<String, String>,
    default: Option<String>,
    created: usize,
}

/// What the account shows: the default menu's name, and the aliases as
/// alias → menu name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub default: Option<String>,
    pub aliases: BTreeMap<String, String>,
    pub menus: Vec<String>,
}

impl RichMenus {
    pub fn shown(&self) -> Shown {
        let name = |id: &String| {
            self.menus.get(id).map_or_else(
                || format!("(deleted {id})"),
                |(m, _)| m["name"].as_str().unwrap().to_string(),
            )
        };
        Shown {
            default: self.default.as_ref().map(name),
            aliases: self
                .aliases
                .iter()
                .map(|(a, id)| (a.clone(), name(id)))
                .collect(),
            menus: self
                .menus
                .values()
                .map(|(m, _)| m["name"].as_str().unwrap().to_string())
                .collect(),
        }
    }

    /// The object of the menu named `name`.
    pub fn object(&self, name: &str) -> Option<Value> {
        self.menus
            .values()
            .find(|(m, _)| m["name"] == name)
            .map(|(m, _)| m.clone())
    }
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/v2/bot/richmenu", web::post().to(create))
        .route("/v2/bot/richmenu/list", web::get().to(list))
        .route("/v2/bot/richmenu/alias", web::post().to(create_alias))
        .route("/v2/bot/richmenu/alias/list", web::get().to(list_aliases))
        .route("/v2/bot/richmenu/alias/{alias}", web::get().to(get_alias))
        .route(
            "/v2/bot/richmenu/alias/{alias}",
            web::post().to(update_alias),
        )
        .route("/v2/bot/richmenu/{id}", web::delete().to(delete))
        .route("/v2/bot/richmenu/{id}/content", web::post().to(upload))
        .route("/v2/bot/user/all/richmenu", web::get().to(get_default))
        .route(
            "/v2/bot/user/all/richmenu/{id}",
            web::post().to(set_default),
        );
}

/// Records the call with its status, and answers it.
fn record(shared: &Shared, endpoint: &'static str, response: HttpResponse) -> HttpResponse {
    shared
        .0
        .lock()
        .unwrap()
        .attempts
        .push((endpoint, response.status().as_u16()));
    response
}

fn problems_of(menu: &Value) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let (width, height) = (
        menu["size"]["width"].as_u64().unwrap_or(0),
        menu["size"]["height"].as_u64().unwrap_or(0),
    );
    if !(800..=2500).contains(&width) || height < 250 || (width as f64) / (height as f64) < 1.45 {
        problems.push(("size".into(), "invalid rich menu size".into()));
    }
    if !menu["selected"].is_boolean() {
        problems.push(("selected".into(), "must be specified".into()));
    }
    if chars(&menu["name"]) == 0 || chars(&menu["name"]) > 300 {
        problems.push(("name".into(), "Length must be between 1 and 300".into()));
    }
    if chars(&menu["chatBarText"]) == 0 || chars(&menu["chatBarText"]) > 14 {
        problems.push((
            "chatBarText".into(),
            "Length must be between 1 and 14".into(),
        ));
    }
    let areas = menu["areas"].as_array().cloned().unwrap_or_default();
    if areas.is_empty() || areas.len() > 20 {
        problems.push(("areas".into(), "Size must be between 1 and 20".into()));
    }
    for (i, area) in areas.iter().enumerate() {
        let b = &area["bounds"];
        let [x, y, w, h] = ["x", "y", "width", "height"].map(|k| b[k].as_u64().unwrap_or(u64::MAX));
        if w == 0 || h == 0 || x.saturating_add(w) > width || y.saturating_add(h) > height {
            problems.push((format!("areas[{i}].bounds"), "out of the rich menu".into()));
        }
        let action = &area["action"];
        let path = format!("areas[{i}].action");
        match action["type"].as_str() {
            Some("message") => {
                if chars(&action["text"]) == 0 || chars(&action["text"]) > 300 {
                    problems.push((
                        format!("{path}.text"),
                        "Length must be between 1 and 300".into(),
                    ));
                }
            }
            Some("richmenuswitch") => {
                let alias = action["richMenuAliasId"].as_str().unwrap_or_default();
                if !valid_alias(alias) {
                    problems.push((format!("{path}.richMenuAliasId"), "invalid".into()));
                }
                if chars(&action["data"]) == 0 || chars(&action["data"]) > 300 {
                    problems.push((
                        format!("{path}.data"),
                        "Length must be between 1 and 300".into(),
                    ));
                }
            }
            _ => check_action(&path, action, &mut problems),
        }
    }
    problems
}

fn valid_alias(alias: &str) -> bool {
    (1..=32).contains(&alias.len())
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

async fn create(shared: Shared, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let menu = match check(&shared, "richmenu.create", &request, &body) {
        Ok(menu) => menu,
        Err(response) => return *response,
    };
    let problems = problems_of(&menu);
    if !problems.is_empty() {
        return record(&shared, "richmenu.create", details_response(problems));
    }
    let id = {
        let mut state = shared.0.lock().unwrap();
        state.rich_menus.created += 1;
        let id = format!("richmenu-{:032x}", state.rich_menus.created);
        state.rich_menus.menus.insert(id.clone(), (menu, false));
        id
    };
    record(
        &shared,
        "richmenu.create",
        HttpResponse::Ok().json(json!({ "richMenuId": id })),
    )
}

async fn list(shared: Shared, request: HttpRequest) -> HttpResponse {
    if let Err(response) = authorize(&shared, "richmenu.list", &request) {
        return *response;
    }
    let menus: Vec<Value> = shared
        .0
        .lock()
        .unwrap()
        .rich_menus
        .menus
        .iter()
        .map(|(id, (menu, _))| {
            let mut menu = menu.clone();
            menu["richMenuId"] = json!(id);
            menu
        })
        .collect();
    record(
        &shared,
        "richmenu.list",
        HttpResponse::Ok().json(json!({ "richmenus": menus })),
    )
}

async fn upload(
    shared: Shared,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    const ENDPOINT: &str = "richmenu.upload";
    if let Err(response) = authorize(&shared, ENDPOINT, &request) {
        return *response;
    }
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let kind = imagesize::image_type(&body).ok();
    let matches_type = matches!(
        (content_type.as_str(), kind),
        ("image/png", Some(imagesize::ImageType::Png))
            | ("image/jpeg", Some(imagesize::ImageType::Jpeg))
    );
    if !matches_type {
        return record(&shared, ENDPOINT, error(415, "Unsupported Media Type"));
    }
    if body.len() > 1024 * 1024 {
        return record(&shared, ENDPOINT, error(413, "Request Entity Too Large"));
    }
    let size = imagesize::blob_size(&body).ok();
    let mut state = shared.0.lock().unwrap();
    let Some((menu, uploaded)) = state.rich_menus.menus.get_mut(id.as_str()) else {
        drop(state);
        return record(&shared, ENDPOINT, error(404, "Not found"));
    };
    let wanted = (
        menu["size"]["width"].as_u64(),
        menu["size"]["height"].as_u64(),
    );
    let response = if *uploaded {
        error(400, "An image has already been uploaded to the richmenu")
    } else if size.map(|s| (Some(s.width as u64), Some(s.height as u64))) != Some(wanted) {
        error(400, "The image size does not match the rich menu size")
    } else {
        *uploaded = true;
        HttpResponse::Ok().json(json!({}))
    };
    drop(state);
    record(&shared, ENDPOINT, response)
}

async fn delete(shared: Shared, request: HttpRequest, id: web::Path<String>) -> HttpResponse {
    if let Err(response) = authorize(&shared, "richmenu.delete", &request) {
        return *response;
    }
    let mut state = shared.0.lock().unwrap();
    let response = if state.rich_menus.menus.remove(id.as_str()).is_some() {
        if state.rich_menus.default.as_deref() == Some(id.as_str()) {
            state.rich_menus.default = None;
        }
        HttpResponse::Ok().json(json!({}))
    } else {
        error(404, "Not found")
    };
    drop(state);
    record(&shared, "richmenu.delete", response)
}

/// An id of a menu with its image, or LINE's refusal.
fn ready(shared: &Shared, id: &str) -> Result<(), Box<HttpResponse>> {
    match shared.0.lock().unwrap().rich_menus.menus.get(id) {
        None => Err(Box::new(error(404, "richmenu not found"))),
        Some((_, false)) => Err(Box::new(error(
            400,
            "must upload richmenu image before applying it to user",
        ))),
        Some((_, true)) => Ok(()),
    }
}

async fn create_alias(shared: Shared, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    const ENDPOINT: &str = "richmenu.alias.create";
    let value = match check(&shared, ENDPOINT, &request, &body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    let alias = value["richMenuAliasId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let id = value["richMenuId"].as_str().unwrap_or_default().to_string();
    if !valid_alias(&alias) {
        return record(
            &shared,
            ENDPOINT,
            error(400, "The request body has 1 error(s)"),
        );
    }
    if let Err(response) = ready(&shared, &id) {
        return record(&shared, ENDPOINT, *response);
    }
    let mut state = shared.0.lock().unwrap();
    let response = match state.rich_menus.aliases.entry(alias) {
        std::collections::btree_map::Entry::Occupied(_) => error(400, "conflict richmenu alias id"),
        std::collections::btree_map::Entry::Vacant(vacant) => {
            vacant.insert(id);
            HttpResponse::Ok().json(json!({}))
        }
    };
    drop(state);
    record(&shared, ENDPOINT, response)
}

async fn update_alias(
    shared: Shared,
    request: HttpRequest,
    alias: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    const ENDPOINT: &str = "richmenu.alias.update";
    let value = match check(&shared, ENDPOINT, &request, &body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    let id = value["richMenuId"].as_str().unwrap_or_default().to_string();
    if let Err(response) = ready(&shared, &id) {
        return record(&shared, ENDPOINT, *response);
    }
    let mut state = shared.0.lock().unwrap();
    let response = match state.rich_menus.aliases.get_mut(alias.as_str()) {
        Some(target) => {
            *target = id;
            HttpResponse::Ok().json(json!({}))
        }
        None => error(400, "richmenu alias not found"),
    };
    drop(state);
    record(&shared, ENDPOINT, response)
}

async fn list_aliases(shared: Shared, request: HttpRequest) -> HttpResponse {
    if let Err(response) = authorize(&shared, "richmenu.alias.list", &request) {
        return *response;
    }
    let aliases: Vec<Value> = shared
        .0
        .lock()
        .unwrap()
        .rich_menus
        .aliases
        .iter()
        .map(|(alias, id)| json!({ "richMenuAliasId": alias, "richMenuId": id }))
        .collect();
    record(
        &shared,
        "richmenu.alias.list",
        HttpResponse::Ok().json(json!({ "aliases": aliases })),
    )
}

async fn get_alias(shared: Shared, request: HttpRequest, alias: web::Path<String>) -> HttpResponse {
    if let Err(response) = authorize(&shared, "richmenu.alias.get", &request) {
        return *response;
    }
    let found = shared
        .0
        .lock()
        .unwrap()
        .rich_menus
        .aliases
        .get(alias.as_str())
        .cloned();
    let response = match found {
        Some(id) => {
            HttpResponse::Ok().json(json!({ "richMenuAliasId": alias.as_str(), "richMenuId": id }))
        }
        None => error(404, "richmenu alias not found"),
    };
    record(&shared, "richmenu.alias.get", response)
}

async fn get_default(shared: Shared, request: HttpRequest) -> HttpResponse {
    if let Err(response) = authorize(&shared, "richmenu.default.get", &request) {
        return *response;
    }
    let default = shared.0.lock().unwrap().rich_menus.default.clone();
    let response = match default {
        Some(id) => HttpResponse::Ok().json(json!({ "richMenuId": id })),
        None => error(404, "no default richmenu"),
    };
    record(&shared, "richmenu.default.get", response)
}

async fn set_default(shared: Shared, request: HttpRequest, id: web::Path<String>) -> HttpResponse {
    const ENDPOINT: &str = "richmenu.default.set";
    if let Err(response) = authorize(&shared, ENDPOINT, &request) {
        return *response;
    }
    if let Err(response) = ready(&shared, &id) {
        return record(&shared, ENDPOINT, *response);
    }
    shared.0.lock().unwrap().rich_menus.default = Some(id.into_inner());
    record(&shared, ENDPOINT, HttpResponse::Ok().json(json!({})))
}
