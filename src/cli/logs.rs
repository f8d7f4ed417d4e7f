//! `madoguchi logs`: the query log, read from the data directory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use madoguchi::config::Settings;

use super::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Print the query log as CSV (UTF-8 with BOM, for Excel).
    Export {
        /// Where the database is kept (default: data_dir of the settings).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// First day to include (YYYY-MM-DD, Japanese time); default all.
        #[arg(long)]
        since: Option<madoguchi::faq::Date>,
    },
}

pub fn run(global: &Global, command: Command) -> Result<ExitCode> {
    let Command::Export { data_dir, since } = command;
    let settings = Settings::load(&madoguchi::config::Overrides {
        data_dir,
        ..global.overrides()
    })?;
    let store = madoguchi::store::Store::open_existing(&settings.data_dir, &settings.store)?;
    let since = since.map_or(0, |date| date.start_in_japan());
    let mut out = std::io::stdout().lock();
    let rows = store.export_csv(since, &mut out)?;
    eprintln!("{rows} queries");
    Ok(ExitCode::SUCCESS)
}
