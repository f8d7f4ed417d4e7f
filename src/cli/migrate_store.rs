//! `madoguchi migrate-store`: moves a server's records from its SQLite data
//! directory into PostgreSQL, before it and its new replicas start there.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};

use madoguchi::config::StoreSettings;
use madoguchi::store::Store;
use madoguchi::store::migrate::move_records;
use madoguchi::store::pseudonym::KEY_FILE;

#[derive(clap::Args)]
pub struct Args {
    /// The SQLite store: `sqlite:DATA_DIR` (the server's data directory).
    #[arg(long)]
    from: String,
    /// The PostgreSQL database: `postgresql://USER:PASSWORD@HOST:PORT/DATABASE`,
    /// new and empty.
    #[arg(long)]
    to: String,
    /// The CA certificate (PEM) of the database server, for TLS, as
    /// `store.tls_ca_file`.
    #[arg(long)]
    tls_ca_file: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Some(data_dir) = args.from.strip_prefix("sqlite:").map(PathBuf::from) else {
        bail!(
            "--from names the SQLite store as sqlite:DATA_DIR (the server's data directory), not {}",
            args.from
        );
    };
    if !args.to.starts_with("postgres") {
        bail!(
            "--to names the PostgreSQL database as postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        );
    }
    let from = Store::open_existing(&data_dir, &StoreSettings::default())?;
    let to = Store::open_configured(
        &data_dir,
        &StoreSettings {
            database_url: Some(args.to.clone()),
            connections: 2,
            tls_ca_file: args.tls_ca_file,
        },
    )?;
    let key_file = data_dir.join(KEY_FILE);
    let key = match std::fs::read_to_string(&key_file) {
        Ok(text) => Some(text.trim().to_string()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => bail!(
            "cannot read the pseudonym key {}: {err}",
            key_file.display()
        ),
    };
    let counted = move_records(&from, &to, key.as_deref())?;
    for table in &counted {
        println!("{:<15} {:>9} rows", table.table, table.target);
    }
    println!(
        "moved and verified by counts{}; start the servers with store.database_url set",
        if key.is_some() {
            ", with the pseudonym key"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}
