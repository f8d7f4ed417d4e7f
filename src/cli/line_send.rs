//! `madoguchi line-send`: a webhook body signed and posted as LINE would.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The JSON body to send.
    file: PathBuf,
    /// The channel secret the server was started with.
    #[arg(long, env = "MADOGUCHI_LINE_CHANNEL_SECRET", hide_env_values = true)]
    secret: String,
    /// The server's webhook URL.
    #[arg(long, default_value = "http://127.0.0.1:8080/webhooks/line")]
    url: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let body =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let signature = madoguchi::channels::line::signature::sign(&args.secret, &body);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let url = args.url;
    let (status, text) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(&url)
            .header("content-type", "application/json")
            .header("x-line-signature", signature)
            .body(body)
            .send()
            .await
            .with_context(|| format!("posting to {url}"))?;
        let status = response.status();
        anyhow::Ok((status, response.text().await.unwrap_or_default()))
    })?;
    println!("{status} {text}");
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
