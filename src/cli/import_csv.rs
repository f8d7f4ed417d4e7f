//! `madoguchi import-csv`: an FAQ CSV turned into topic files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use madoguchi::faq::import::import_csv;

#[derive(clap::Args)]
pub struct Args {
    csv: PathBuf,
    /// Where to write the topic files (one per category).
    #[arg(long)]
    out: PathBuf,
    /// Department id answering the imported entries.
    #[arg(long)]
    department: String,
    /// Category for rows without one.
    #[arg(long, default_value = "その他")]
    category: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let file = std::fs::File::open(&args.csv)
        .with_context(|| format!("opening {}", args.csv.display()))?;
    let topics = import_csv(file, &args.department, &args.category)?;
    std::fs::create_dir_all(&args.out)?;
    for (number, topic) in topics.iter().enumerate() {
        let path = args.out.join(format!("imported-{:02}.yaml", number + 1));
        std::fs::write(&path, &topic.yaml)?;
        println!(
            "{}: {} entries in 「{}」",
            path.display(),
            topic.entries,
            topic.category
        );
    }
    println!(
        "check the result with: madoguchi check {}",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
