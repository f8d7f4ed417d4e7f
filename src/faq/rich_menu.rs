//! LINE rich menus (the menu under the chat) from `line/rich-menus.yaml`:
//! the normal menu, the disaster menu and any tabs between them, each with
//! the image the city supplies. Checked like the rest of the content, so
//! that `madoguchi line rich-menu apply` only sends what LINE accepts.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::flow::Flow;
use super::source::{Known, SourceText};
use crate::diagnostic::{Diagnostic, Diagnostics, yaml_error};

/// Where the menus are described, within the FAQ directory.
pub const RICH_MENUS_FILE: &str = "line/rich-menus.yaml";
/// The menu shown by default.
pub const NORMAL_MENU: &str = "normal";
/// The menu shown while disaster mode is on.
pub const DISASTER_MENU: &str = "disaster";

/// The sizes LINE shows without scaling: the full and the half menu.
const SIZES: [(u32, u32); 2] = [(2500, 1686), (2500, 843)];
/// LINE's limits (Messaging API reference, rich menu object).
const MAX_IMAGE_BYTES: u64 = 1024 * 1024;
const MAX_AREAS: usize = 20;
const MAX_CHAT_BAR: usize = 14;
const MAX_LABEL: usize = 20;
const MAX_MESSAGE: usize = 300;
const MAX_URI: usize = 1000;
/// Alias ids are at most 32 characters; ours are `madoguchi-` and the id.
const MAX_MENU_ID: usize = 22;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RichMenusFile {
    menus: Vec<RichMenu>,
}

/// One menu.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichMenu {
    /// `normal`, `disaster`, or another name a `menu:` area switches to.
    pub id: String,
    /// The image file, beside the YAML file.
    pub image: PathBuf,
    /// The text on the bar that opens the menu.
    pub chat_bar: String,
    pub areas: Vec<Area>,
    /// The image's width and height, read from the file.
    #[serde(skip)]
    pub size: (u32, u32),
}

/// A tappable rectangle of a menu and what tapping it does: exactly one of
/// the action keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// What the area says (read out by screen readers; shown on desktop).
    pub label: String,
    /// `[x, y, width, height]` in the image's pixels.
    pub bounds: [u32; 4],
    /// Sends this text, as if typed.
    #[serde(default)]
    pub message: Option<String>,
    /// Shows this entry's answer.
    #[serde(default)]
    pub answer: Option<String>,
    /// Lists this category's questions (its name, as in the menu).
    #[serde(default)]
    pub category: Option<String>,
    /// Starts this flow.
    #[serde(default)]
    pub flow: Option<String>,
    /// Opens this page (https, or tel: for a call).
    #[serde(default)]
    pub uri: Option<String>,
    /// Switches to the menu with this id (a tab).
    #[serde(default)]
    pub menu: Option<String>,
}

/// What tapping an area does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaAction<'a> {
    Message(&'a str),
    Answer(&'a str),
    Category(&'a str),
    Flow(&'a str),
    Uri(&'a str),
    Menu(&'a str),
}

impl Area {
    /// The actions written for this area (exactly one when checked).
    fn actions(&self) -> Vec<AreaAction<'_>> {
        [
            self.message.as_deref().map(AreaAction::Message),
            self.answer.as_deref().map(AreaAction::Answer),
            self.category.as_deref().map(AreaAction::Category),
            self.flow.as_deref().map(AreaAction::Flow),
            self.uri.as_deref().map(AreaAction::Uri),
            self.menu.as_deref().map(AreaAction::Menu),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// What tapping the area does.
    pub fn action(&self) -> AreaAction<'_> {
        self.actions()[0]
    }
}

/// The checked menus, with their images' location.
#[derive(Debug, Clone, Default)]
pub struct RichMenus {
    pub menus: Vec<RichMenu>,
    /// The directory the image paths are relative to.
    pub dir: PathBuf,
}

impl RichMenus {
    /// The menu with this id.
    pub fn menu(&self, id: &str) -> Option<&RichMenu> {
        self.menus.iter().find(|m| m.id == id)
    }

    /// The image file of a menu.
    pub fn image_path(&self, menu: &RichMenu) -> PathBuf {
        self.dir.join(&menu.image)
    }
}

/// What the menus may refer to besides entries.
pub(super) struct MenuTargets<'a> {
    pub known: &'a Known<'a>,
    pub categories: &'a [String],
    pub flows: &'a [Flow],
}

/// Reads and checks `line/rich-menus.yaml` when the content has one.
pub(super) fn load_rich_menus(
    dir: &Path,
    read: &mut impl FnMut(&Path, &mut Diagnostics) -> Option<String>,
    targets: &MenuTargets,
    diagnostics: &mut Diagnostics,
) -> Option<RichMenus> {
    let path = dir.join(RICH_MENUS_FILE);
    if !path.exists() {
        return None;
    }
    let text = read(&path, diagnostics)?;
    let file: RichMenusFile = match serde_yaml::from_str(&text) {
        Ok(file) => file,
        Err(err) => {
            diagnostics.push(yaml_error(&path, &err));
            return None;
        }
    };
    let source = SourceText::new(&path, &text);
    let menus_dir = path.parent().unwrap_or(dir).to_path_buf();
    let mut menus = Vec::new();
    for mut menu in file.menus {
        let line = source.entry_line(&menu.id);
        let mut problem = |line: usize, message: String, help: &str| {
            diagnostics.push(Diagnostic::error(&path, line, 0, message).with_help(help));
        };
        if menus.iter().any(|m: &RichMenu| m.id == menu.id) {
            problem(
                line,
                format!("the menu id `{}` is used twice", menu.id),
                "give each menu its own id",
            );
        }
        if menu.id.is_empty()
            || menu.id.chars().count() > MAX_MENU_ID
            || !menu
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            problem(
                line,
                format!("the menu id `{}` cannot name a LINE menu alias", menu.id),
                "use up to 22 lower-case letters, digits, - and _",
            );
        }
        if menu.chat_bar.chars().count() > MAX_CHAT_BAR || menu.chat_bar.is_empty() {
            problem(
                source.find_after(line, "chat_bar").0,
                format!(
                    "`chat_bar` must be 1 to {MAX_CHAT_BAR} characters; 「{}」 has {}",
                    menu.chat_bar,
                    menu.chat_bar.chars().count()
                ),
                "LINE shows at most 14 characters on the bar (e.g. メニュー)",
            );
        }
        menu.size = check_image(&menus_dir, &menu, &path, line, diagnostics).unwrap_or_default();
        if menu.areas.is_empty() || menu.areas.len() > MAX_AREAS {
            diagnostics.push(
                Diagnostic::error(
                    &path,
                    line,
                    0,
                    format!(
                        "a menu has 1 to {MAX_AREAS} areas; `{}` has {}",
                        menu.id,
                        menu.areas.len()
                    ),
                )
                .with_help("LINE accepts at most 20 tappable areas per menu"),
            );
        }
        for area in &menu.areas {
            let line = source.find_after(line, &format!("label: {}", area.label)).0;
            check_area(area, &menu, &path, line, targets, diagnostics);
        }
        menus.push(menu);
    }
    for menu in &menus {
        for area in &menu.areas {
            if let Some(target) = area.menu.as_deref()
                && !menus.iter().any(|m| m.id == target)
            {
                diagnostics.push(
                    Diagnostic::error(
                        &path,
                        source
                            .find_after(source.entry_line(&menu.id), &format!("menu: {target}"))
                            .0,
                        0,
                        format!(
                            "area 「{}」 switches to the unknown menu `{target}`",
                            area.label
                        ),
                    )
                    .with_help("name a menu of this file by its id"),
                );
            }
        }
    }
    if !menus.iter().any(|m| m.id == NORMAL_MENU) {
        diagnostics.push(
            Diagnostic::error(&path, 1, 0, "there is no menu with the id `normal`")
                .with_help("the `normal` menu is the one residents see; add it"),
        );
    }
    if !menus.iter().any(|m| m.id == DISASTER_MENU) {
        diagnostics.push(
            Diagnostic::warning(&path, 1, 0, "there is no menu with the id `disaster`")
                .with_help("in disaster mode residents will keep seeing the normal menu"),
        );
    }
    Some(RichMenus {
        menus,
        dir: menus_dir,
    })
}

/// The image's size, when it is one LINE accepts for a rich menu.
fn check_image(
    dir: &Path,
    menu: &RichMenu,
    path: &Path,
    line: usize,
    diagnostics: &mut Diagnostics,
) -> Option<(u32, u32)> {
    let image = dir.join(&menu.image);
    let mut problem = |message: String, help: &str| {
        diagnostics.push(Diagnostic::error(path, line, 0, message).with_help(help));
    };
    let bytes = match std::fs::metadata(&image) {
        Ok(metadata) => metadata.len(),
        Err(err) => {
            problem(
                format!("cannot read the image {}: {err}", image.display()),
                "put the menu's PNG or JPEG beside rich-menus.yaml and name it in `image`",
            );
            return None;
        }
    };
    let kind = std::fs::read(&image).ok().and_then(|data| {
        Some((
            imagesize::image_type(&data).ok()?,
            imagesize::blob_size(&data).ok()?,
        ))
    });
    let Some((kind, size)) = kind else {
        problem(
            format!("{} is not an image", image.display()),
            "LINE takes PNG or JPEG",
        );
        return None;
    };
    if !matches!(kind, imagesize::ImageType::Png | imagesize::ImageType::Jpeg) {
        problem(
            format!("{} is neither PNG nor JPEG", image.display()),
            "save the menu image as PNG or JPEG",
        );
        return None;
    }
    if bytes > MAX_IMAGE_BYTES {
        problem(
            format!(
                "{} has {bytes} bytes; LINE takes at most 1 MB",
                image.display()
            ),
            "save it with fewer colours or as JPEG",
        );
    }
    let size = (size.width as u32, size.height as u32);
    if !SIZES.contains(&size) {
        problem(
            format!(
                "{} is {}×{} pixels; a rich menu is 2500×1686 or 2500×843",
                image.display(),
                size.0,
                size.1
            ),
            "resize the image to 2500×1686 (full menu) or 2500×843 (half menu)",
        );
        return None;
    }
    Some(size)
}

/// An area: one action, inside the image, within LINE's limits, naming
/// what the content has.
fn check_area(
    area: &Area,
    menu: &RichMenu,
    path: &Path,
    line: usize,
    targets: &MenuTargets,
    diagnostics: &mut Diagnostics,
) {
    let mut problem = |message: String, help: String| {
        diagnostics.push(Diagnostic::error(path, line, 0, message).with_help(help));
    };
    let label = &area.label;
    if label.is_empty() || label.chars().count() > MAX_LABEL {
        problem(
            format!("the label 「{label}」 must be 1 to {MAX_LABEL} characters"),
            "shorten it: LINE cuts labels at 20 characters".into(),
        );
    }
    let [x, y, width, height] = area.bounds;
    let (image_width, image_height) = menu.size;
    if width == 0 || height == 0 {
        problem(
            format!("area 「{label}」 has no width or height"),
            "bounds are [x, y, width, height] in the image's pixels".into(),
        );
    } else if menu.size != (0, 0) && (x + width > image_width || y + height > image_height) {
        problem(
            format!(
                "area 「{label}」 ({x}, {y}, {width}×{height}) reaches outside the {image_width}×{image_height} image"
            ),
            "bounds are [x, y, width, height]; keep x + width and y + height within the image"
                .into(),
        );
    }
    let actions = area.actions();
    if actions.len() != 1 {
        problem(
            format!(
                "area 「{label}」 has {} actions; it needs exactly one",
                actions.len()
            ),
            "give it one of message, answer, category, flow, uri or menu".into(),
        );
        return;
    }
    match actions[0] {
        AreaAction::Message(text) if text.is_empty() || text.chars().count() > MAX_MESSAGE => {
            problem(
                format!("the message of 「{label}」 must be 1 to {MAX_MESSAGE} characters"),
                "write what a resident would type".into(),
            )
        }
        AreaAction::Answer(id) if !targets.known.entry(id) => problem(
            format!("area 「{label}」 shows the unknown entry `{id}`"),
            "name an entry by its id".into(),
        ),
        AreaAction::Category(name) if !targets.categories.iter().any(|c| c == name) => problem(
            format!("area 「{label}」 lists the unknown category 「{name}」"),
            format!("the categories are: {}", targets.categories.join("、")),
        ),
        AreaAction::Flow(id) if !targets.flows.iter().any(|f| f.id == id) => problem(
            format!("area 「{label}」 starts the unknown flow `{id}`"),
            "name a flow of flows/ by its id".into(),
        ),
        AreaAction::Uri(uri)
            if uri.chars().count() > MAX_URI
                || !["https://", "http://", "tel:"]
                    .iter()
                    .any(|scheme| uri.starts_with(scheme)) =>
        {
            problem(
                format!("the link of 「{label}」 is not one LINE opens: {uri}"),
                "use an https:// address (at most 1,000 characters) or tel:".into(),
            )
        }
        _ => {}
    }
}
