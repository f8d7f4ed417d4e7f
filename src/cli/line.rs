//! `madoguchi line …`: managing the LINE account.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use madoguchi::channels::line::LineClient;
use madoguchi::channels::line::rich_menu::{self, line_menu};
use madoguchi::config::Settings;
use madoguchi::faq::Content;
use madoguchi::faq::rich_menu::RICH_MENUS_FILE;
use madoguchi::metrics::Metrics;
use madoguchi::store::{Store, StoreError};

use super::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// The rich menus (the menu under the chat).
    #[command(subcommand)]
    RichMenu(RichMenuCommand),
}

#[derive(clap::Subcommand)]
pub enum RichMenuCommand {
    /// Make the account's rich menus those of faq/line/rich-menus.yaml:
    /// create what changed, point the aliases at it, show the normal menu
    /// (the disaster menu while disaster mode is on) and delete the
    /// versions made before. Running it again changes nothing.
    Apply {
        /// Print what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(global: &Global, command: Command) -> Result<ExitCode> {
    let Command::RichMenu(RichMenuCommand::Apply { dry_run }) = command;
    let settings = global.settings()?;
    let content = match Content::load(&settings.faq_dir) {
        Ok((content, _warnings)) => content,
        Err(diagnostics) => {
            bail!("the content has errors (run `madoguchi check`):\n{diagnostics}")
        }
    };
    let Some(menus) = content.rich_menus.clone() else {
        bail!(
            "{} does not exist: describe the menus there first (see faq/README.md)",
            settings.faq_dir.join(RICH_MENUS_FILE).display()
        );
    };
    let client = client(&settings)?;
    let disaster_on = disaster_mode_on(&settings)?;
    let default_menu = line_menu(&content, disaster_on).expect("checked: there is a normal menu");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let wanted = rich_menu::wanted_menus(&content, &menus).map_err(anyhow::Error::msg)?;
        let plan = rich_menu::plan(&client, wanted, default_menu)
            .await
            .map_err(anyhow::Error::msg)
            .context("reading the account's rich menus")?;
        if plan.steps.is_empty() {
            println!("nothing to change: the account's rich menus are those of {RICH_MENUS_FILE}");
            return Ok(ExitCode::SUCCESS);
        }
        for step in &plan.steps {
            println!("{}{step}", if dry_run { "would " } else { "" });
        }
        if dry_run {
            return Ok(ExitCode::SUCCESS);
        }
        rich_menu::apply(&client, plan)
            .await
            .map_err(anyhow::Error::msg)
            .context("applying the rich menus (run the command again to carry on)")?;
        println!("done");
        Ok(ExitCode::SUCCESS)
    })
}

/// A client of the configured account; the access token must be set.
pub fn client(settings: &Settings) -> Result<LineClient> {
    if settings
        .line
        .channel_access_token
        .as_deref()
        .is_none_or(str::is_empty)
    {
        bail!(
            "line.channel_access_token is not set: put it in the config file's [line] section or in MADOGUCHI_LINE_CHANNEL_ACCESS_TOKEN"
        );
    }
    LineClient::new(&settings.line, Arc::new(Metrics::default())).map_err(anyhow::Error::msg)
}

/// Whether disaster mode is on in the server's store; off when no server
/// has written one yet.
fn disaster_mode_on(settings: &Settings) -> Result<bool> {
    match Store::open_existing(&settings.data_dir, &settings.store) {
        Ok(store) => Ok(store.disaster_mode()?.is_some()),
        Err(StoreError::NoLog(_)) => Ok(false),
        Err(err) => Err(err.into()),
    }
}
