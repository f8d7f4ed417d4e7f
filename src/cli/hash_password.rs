//! `madoguchi hash-password`: an argon2 hash for `[admin] users`.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Result, bail};

pub fn run() -> Result<ExitCode> {
    if std::io::stdin().is_terminal() {
        eprint!("password: ");
    }
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 8 {
        bail!("use a password of at least 8 characters");
    }
    println!(
        "{}",
        madoguchi::admin::auth::hash_password(password).map_err(anyhow::Error::msg)?
    );
    Ok(ExitCode::SUCCESS)
}
