//! `madoguchi disaster on|off|status`: disaster mode, switched in the store
//! the servers read each second (so it reaches running servers and every
//! replica), and LINE's menu with it.

use std::process::ExitCode;

use anyhow::Result;

use madoguchi::channels::line::rich_menu::switch_for_disaster_mode;
use madoguchi::disaster::{DisasterMode, Switch};
use madoguchi::faq::Content;
use madoguchi::store::Store;
use madoguchi::store::log::japan_time;

use super::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Switch disaster mode on (or change its notice): every answer starts
    /// with the notice, disaster answers come first, the widget shows a
    /// banner and LINE the disaster menu.
    On {
        /// Said before every answer (up to 200 characters).
        #[arg(long)]
        notice: String,
        /// A page with more (https://…).
        #[arg(long)]
        link: Option<String>,
        /// Who switches, for the audit log (default: cli:$USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Switch disaster mode off.
    Off {
        /// Who switches, for the audit log (default: cli:$USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Say whether disaster mode is on.
    Status,
}

pub fn run(global: &Global, command: Command) -> Result<ExitCode> {
    let settings = global.settings()?;
    let store = std::sync::Arc::new(Store::open_configured(&settings.data_dir, &settings.store)?);
    let operator = |by: Option<String>| {
        by.unwrap_or_else(|| format!("cli:{}", std::env::var("USER").unwrap_or_default()))
    };
    let switch = match command {
        Command::Status => {
            match store.disaster_mode()? {
                Some(notice) => println!(
                    "on since {} (by {}): {}{}",
                    japan_time(notice.since),
                    notice.switched_by,
                    notice.notice,
                    notice.link.map(|l| format!(" {l}")).unwrap_or_default()
                ),
                None => println!("off"),
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::On { notice, link, by } => {
            Switch::new(Some((&notice, link.as_deref())), &operator(by))?
        }
        Command::Off { by } => Switch::new(None, &operator(by))?,
    };
    let on = switch.notice.is_some();
    DisasterMode::load(store).switch(&switch)?;
    println!(
        "disaster mode {}; running servers follow within a second",
        if on { "on" } else { "off" }
    );
    let line_configured = settings
        .line
        .channel_access_token
        .as_deref()
        .is_some_and(|t| !t.is_empty());
    if !line_configured {
        return Ok(ExitCode::SUCCESS);
    }
    let content = match Content::load(&settings.faq_dir) {
        Ok((content, _)) => content,
        Err(_) => {
            eprintln!(
                "LINE's menu was not switched: the content has errors (run `madoguchi check`)"
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let client = super::line::client(&settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match runtime.block_on(switch_for_disaster_mode(&client, &content, on)) {
        Ok(Some(menu)) => println!("LINE shows the `{menu}` menu"),
        Ok(None) => {}
        Err(err) => {
            eprintln!("LINE's menu was not switched: {err}");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}
