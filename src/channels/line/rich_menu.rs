//! Rich menus on LINE as `line/rich-menus.yaml` describes them: planned by
//! comparing with what the account has, then applied (create, upload the
//! image, point the aliases, set the default, delete what we made before).
//! A menu's name carries a digest of its object and image, so an unchanged
//! menu is recognised and applying twice changes nothing.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client::{LineClient, MANAGEMENT_NOT_FOUND, Management};
use super::webhook::PostbackData;
use crate::engine::ChoiceValue;
use crate::faq::Content;
use crate::faq::rich_menu::{AreaAction, DISASTER_MENU, NORMAL_MENU, RichMenu, RichMenus};

/// Our menus' names start with this; others on the account are left alone.
const NAME_PREFIX: &str = "madoguchi ";

/// The alias of one of our menus (what `richmenuswitch` actions name).
pub fn alias_of(menu_id: &str) -> String {
    format!("madoguchi-{menu_id}")
}

/// A menu as LINE takes it, with the image to upload.
#[derive(Debug, Clone)]
pub struct WantedMenu {
    pub id: String,
    /// `madoguchi <id> <digest>`.
    pub name: String,
    pub object: Value,
    pub image: Vec<u8>,
    pub content_type: &'static str,
}

/// What applying would do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create the menu and upload its image.
    Create {
        menu: String,
        name: String,
    },
    CreateAlias {
        menu: String,
        alias: String,
    },
    /// Point an alias at the menu's new version.
    UpdateAlias {
        menu: String,
        alias: String,
    },
    SetDefault {
        menu: String,
    },
    /// Delete a menu of ours no longer described.
    Delete {
        rich_menu_id: String,
        name: String,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Create { menu, name } => {
                write!(f, "create the menu `{menu}` ({name}) and upload its image")
            }
            Step::CreateAlias { menu, alias } => {
                write!(f, "create the alias {alias} for the menu `{menu}`")
            }
            Step::UpdateAlias { menu, alias } => {
                write!(f, "point the alias {alias} at the new menu `{menu}`")
            }
            Step::SetDefault { menu } => write!(f, "show the menu `{menu}` to everyone"),
            Step::Delete { rich_menu_id, name } => {
                write!(f, "delete the old menu {name} ({rich_menu_id})")
            }
        }
    }
}

/// The steps, and what the account has, to carry them out.
#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: Vec<Step>,
    wanted: Vec<WantedMenu>,
    /// Menu id → rich menu id of the menus already on LINE.
    existing: HashMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedMenu {
    rich_menu_id: String,
    name: String,
}

#[derive(Deserialize)]
struct MenuList {
    richmenus: Vec<ListedMenu>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Alias {
    rich_menu_alias_id: String,
    rich_menu_id: String,
}

#[derive(Deserialize)]
struct AliasList {
    aliases: Vec<Alias>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    rich_menu_id: String,
}

/// The menus of the content as LINE takes them, images read.
pub fn wanted_menus(content: &Content, menus: &RichMenus) -> Result<Vec<WantedMenu>, String> {
    menus
        .menus
        .iter()
        .map(|menu| {
            let path = menus.image_path(menu);
            let image = std::fs::read(&path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            let content_type = match imagesize::image_type(&image) {
                Ok(imagesize::ImageType::Jpeg) => "image/jpeg",
                _ => "image/png",
            };
            let mut object = menu_object(content, menu);
            let mut digest = Sha256::new();
            digest.update(object.to_string().as_bytes());
            digest.update(&image);
            let digest: String = digest.finalize()[..6]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let name = format!("{NAME_PREFIX}{} {digest}", menu.id);
            object["name"] = json!(name);
            Ok(WantedMenu {
                id: menu.id.clone(),
                name,
                object,
                image,
                content_type,
            })
        })
        .collect()
}

/// A rich menu object without its name.
fn menu_object(content: &Content, menu: &RichMenu) -> Value {
    let areas: Vec<Value> = menu
        .areas
        .iter()
        .map(|area| {
            let [x, y, width, height] = area.bounds;
            json!({
                "bounds": { "x": x, "y": y, "width": width, "height": height },
                "action": area_action(content, &area.label, area.action()),
            })
        })
        .collect();
    json!({
        "size": { "width": menu.size.0, "height": menu.size.1 },
        "selected": true,
        "chatBarText": menu.chat_bar,
        "areas": areas,
    })
}

/// The action of an area: postbacks the bot reads as a picked choice (shown
/// in the chat as the label), a message, a link or a tab switch.
fn area_action(content: &Content, label: &str, action: AreaAction) -> Value {
    let choice = |value: ChoiceValue| {
        json!({
            "type": "postback",
            "label": label,
            "data": PostbackData::Choice(value).encode(),
            "displayText": label,
        })
    };
    match action {
        AreaAction::Message(text) => json!({ "type": "message", "label": label, "text": text }),
        AreaAction::Answer(id) => choice(ChoiceValue::Entry(id.into())),
        AreaAction::Category(name) => choice(ChoiceValue::Category(name.into())),
        AreaAction::Flow(id) => {
            let step = content
                .flow(id)
                .and_then(|flow| flow.start_step())
                .map_or_else(String::new, |step| step.id.clone());
            choice(ChoiceValue::Step(format!("{id}/{step}")))
        }
        AreaAction::Uri(uri) => json!({ "type": "uri", "label": label, "uri": uri }),
        AreaAction::Menu(menu) => json!({
            "type": "richmenuswitch",
            "label": label,
            "richMenuAliasId": alias_of(menu),
            "data": PostbackData::MenuSwitch(menu.into()).encode(),
        }),
    }
}

/// Compares the wanted menus with the account's and lists the steps that
/// make them the same, `default_menu` shown to everyone.
pub async fn plan(
    client: &LineClient,
    wanted: Vec<WantedMenu>,
    default_menu: &str,
) -> Result<Plan, String> {
    let listed: MenuList = serde_json::from_str(
        &client
            .manage(Management::get("/v2/bot/richmenu/list"))
            .await?,
    )
    .map_err(|err| format!("LINE's list of rich menus: {err}"))?;
    let aliases: AliasList = serde_json::from_str(
        &client
            .manage(Management::get("/v2/bot/richmenu/alias/list"))
            .await?,
    )
    .map_err(|err| format!("LINE's list of rich menu aliases: {err}"))?;
    let default = default_rich_menu(client).await?;

    let mut steps = Vec::new();
    let mut existing = HashMap::new();
    for menu in &wanted {
        match listed.richmenus.iter().find(|m| m.name == menu.name) {
            Some(found) => {
                existing.insert(menu.id.clone(), found.rich_menu_id.clone());
            }
            None => steps.push(Step::Create {
                menu: menu.id.clone(),
                name: menu.name.clone(),
            }),
        }
    }
    for menu in &wanted {
        let alias = alias_of(&menu.id);
        let current = aliases
            .aliases
            .iter()
            .find(|a| a.rich_menu_alias_id == alias);
        let menu_id = menu.id.clone();
        match (current, existing.get(&menu.id)) {
            (None, _) => steps.push(Step::CreateAlias {
                menu: menu_id,
                alias,
            }),
            (Some(current), Some(id)) if &current.rich_menu_id == id => {}
            (Some(_), _) => steps.push(Step::UpdateAlias {
                menu: menu_id,
                alias,
            }),
        }
    }
    let shown = existing
        .get(default_menu)
        .is_some_and(|id| default.as_ref() == Some(id));
    if wanted.iter().any(|m| m.id == default_menu) && !shown {
        steps.push(Step::SetDefault {
            menu: default_menu.to_string(),
        });
    }
    for old in &listed.richmenus {
        if old.name.starts_with(NAME_PREFIX) && !wanted.iter().any(|m| m.name == old.name) {
            steps.push(Step::Delete {
                rich_menu_id: old.rich_menu_id.clone(),
                name: old.name.clone(),
            });
        }
    }
    Ok(Plan {
        steps,
        wanted,
        existing,
    })
}

/// Carries out a plan, step by step; stops at the first failure (applying
/// again picks up from there).
pub async fn apply(client: &LineClient, plan: Plan) -> Result<(), String> {
    let Plan {
        steps,
        wanted,
        mut existing,
    } = plan;
    for step in &steps {
        match step {
            Step::Create { menu, .. } => {
                let wanted = wanted
                    .iter()
                    .find(|m| &m.id == menu)
                    .expect("planned from the wanted menus");
                let id = create(client, wanted).await?;
                existing.insert(menu.clone(), id);
            }
            Step::CreateAlias { menu, alias } => {
                client
                    .manage(Management::post(
                        "/v2/bot/richmenu/alias",
                        json!({ "richMenuAliasId": alias, "richMenuId": existing[menu] }),
                    ))
                    .await?;
            }
            Step::UpdateAlias { menu, alias } => {
                client
                    .manage(Management::post(
                        &format!("/v2/bot/richmenu/alias/{alias}"),
                        json!({ "richMenuId": existing[menu] }),
                    ))
                    .await?;
            }
            Step::SetDefault { menu } => {
                client
                    .manage(Management::post_empty(&format!(
                        "/v2/bot/user/all/richmenu/{}",
                        existing[menu]
                    )))
                    .await?;
            }
            Step::Delete { rich_menu_id, .. } => {
                client
                    .manage(Management::delete(&format!(
                        "/v2/bot/richmenu/{rich_menu_id}"
                    )))
                    .await?;
            }
        }
        tracing::info!(%step, "rich menus");
    }
    Ok(())
}

/// Creates a menu and uploads its image; a menu whose image LINE refused
/// is deleted again, so that no menu without an image is left to reuse.
async fn create(client: &LineClient, menu: &WantedMenu) -> Result<String, String> {
    let created: Created = serde_json::from_str(
        &client
            .manage(Management::post("/v2/bot/richmenu", menu.object.clone()))
            .await?,
    )
    .map_err(|err| format!("LINE's answer to creating a rich menu: {err}"))?;
    let id = created.rich_menu_id;
    let upload = client
        .manage(Management::upload(
            &format!("/v2/bot/richmenu/{id}/content"),
            menu.content_type,
            menu.image.clone(),
        ))
        .await;
    if let Err(err) = upload {
        let _ = client
            .manage(Management::delete(&format!("/v2/bot/richmenu/{id}")))
            .await;
        return Err(format!("uploading the image of `{}`: {err}", menu.id));
    }
    Ok(id)
}

/// The rich menu everyone sees, if one is set.
async fn default_rich_menu(client: &LineClient) -> Result<Option<String>, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Default {
        rich_menu_id: String,
    }
    match client
        .manage(Management::get("/v2/bot/user/all/richmenu"))
        .await
    {
        Ok(body) => Ok(Some(
            serde_json::from_str::<Default>(&body)
                .map_err(|err| format!("LINE's default rich menu: {err}"))?
                .rich_menu_id,
        )),
        Err(err) if err == MANAGEMENT_NOT_FOUND => Ok(None),
        Err(err) => Err(err),
    }
}

/// Shows the applied menu `menu_id` to everyone (found by its alias): what
/// switching disaster mode does.
pub async fn show_to_everyone(client: &LineClient, menu_id: &str) -> Result<(), String> {
    let alias = alias_of(menu_id);
    let found: Alias = match client
        .manage(Management::get(&format!("/v2/bot/richmenu/alias/{alias}")))
        .await
    {
        Ok(body) => serde_json::from_str(&body)
            .map_err(|err| format!("LINE's rich menu alias {alias}: {err}"))?,
        Err(err) if err == MANAGEMENT_NOT_FOUND => {
            return Err(format!(
                "the menu `{menu_id}` is not on LINE; run `madoguchi line rich-menu apply`"
            ));
        }
        Err(err) => return Err(err),
    };
    client
        .manage(Management::post_empty(&format!(
            "/v2/bot/user/all/richmenu/{}",
            found.rich_menu_id
        )))
        .await
        .map(|_| ())
}

/// The menu LINE should show everyone: the disaster menu while the mode is
/// on (when the content has one), the normal menu otherwise; `None` when
/// the content describes no menus.
pub fn line_menu(content: &Content, on: bool) -> Option<&'static str> {
    let menus = content.rich_menus.as_ref()?;
    if on && menus.menu(DISASTER_MENU).is_some() {
        Some(DISASTER_MENU)
    } else {
        menus.menu(NORMAL_MENU).map(|_| NORMAL_MENU)
    }
}

/// Shows LINE's residents the menu for the mode: the menu shown, `None`
/// when the content describes no menus.
pub async fn switch_for_disaster_mode(
    client: &LineClient,
    content: &Content,
    on: bool,
) -> Result<Option<&'static str>, String> {
    let Some(menu) = line_menu(content, on) else {
        return Ok(None);
    };
    show_to_everyone(client, menu).await.map_err(|err| {
        tracing::error!(error = %err, menu, "the LINE menu was not switched");
        err
    })?;
    Ok(Some(menu))
}
