//! `madoguchi config`: the settings in force, key by key, with where each
//! came from.

use std::process::ExitCode;

use anyhow::Result;

use madoguchi::config::Settings;

use super::Global;

pub fn run(global: &Global) -> Result<ExitCode> {
    let effective = Settings::load_effective(&global.overrides(), |name| std::env::var(name).ok())?;
    print!("{}", effective.render());
    Ok(ExitCode::SUCCESS)
}
