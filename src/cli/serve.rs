//! `madoguchi serve`: the HTTP server until SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use madoguchi::config::Settings;
use madoguchi::server::Application;

use super::Global;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (default 127.0.0.1:8080; env MADOGUCHI_BIND).
    #[arg(long)]
    bind: Option<std::net::SocketAddr>,
    /// Where the database is kept (default ./data; env MADOGUCHI_DATA_DIR).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

pub fn run(global: &Global, args: Args) -> Result<ExitCode> {
    let settings = Settings::load(&madoguchi::config::Overrides {
        bind: args.bind,
        data_dir: args.data_dir,
        ..global.overrides()
    })?;
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings)?;
        println!("serving on http://{}/", app.address());
        app.run_until_stopped().await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
