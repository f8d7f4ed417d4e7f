//! `madoguchi import`: FAQ data (the 子育てオープンデータ協議会 data set as
//! JSON or CSV, a generic FAQ CSV in UTF-8 or Shift_JIS, an Excel sheet)
//! turned into topic files, in an existing content directory or a new one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use madoguchi::faq::import::{CityProfile, placeholders, read_file, skeleton, topics};
use madoguchi::faq::{DEPARTMENTS_FILE, model::DepartmentFile};

#[derive(clap::Args)]
pub struct Args {
    /// The file: .json (子育てオープンデータ協議会), .csv or .xlsx.
    file: PathBuf,
    /// The content directory to write into: an existing one (its
    /// departments.yaml names the department), or a new one, made ready
    /// for `check` and `serve`.
    #[arg(long)]
    into: PathBuf,
    /// Department id answering the imported entries (in a new directory,
    /// the id its one department gets).
    #[arg(long)]
    department: Option<String>,
    /// Category for rows without one.
    #[arg(long, default_value = "その他")]
    category: String,
    /// The city profile filling the template's placeholders (default:
    /// city.yaml in the directory, when there is one).
    #[arg(long)]
    city: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let city_path = args
        .city
        .clone()
        .or_else(|| Some(args.into.join("city.yaml")).filter(|p| p.exists()));
    let city = match &city_path {
        Some(path) => CityProfile::load(path).map_err(anyhow::Error::msg)?,
        None => CityProfile::default(),
    };
    let read = read_file(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let existing = args.into.join(DEPARTMENTS_FILE).exists();
    let department = match (&args.department, existing) {
        (Some(department), true) => {
            let known = known_departments(&args.into)?;
            if !known.contains(department) {
                bail!(
                    "{} has no department `{department}`; use one of: {}",
                    args.into.join(DEPARTMENTS_FILE).display(),
                    known.join(", ")
                );
            }
            department.clone()
        }
        (None, true) => bail!(
            "say which department answers the imported entries with --department (one of: {})",
            known_departments(&args.into)?.join(", ")
        ),
        (department, false) => department.clone().unwrap_or_else(|| "tanto".into()),
    };
    let topics = topics(&read, &department, &args.category, &city)?;
    std::fs::create_dir_all(&args.into)
        .with_context(|| format!("creating {}", args.into.display()))?;
    if !existing {
        for (file, text) in skeleton(&department, &city) {
            std::fs::write(args.into.join(file), text)?;
        }
        println!(
            "{}: a new content directory (check departments.yaml and procedures.yaml)",
            args.into.display()
        );
    }
    let stem = if read.kosodate {
        "kosodate"
    } else {
        "imported"
    };
    let mut left = 0;
    for (number, topic) in topics.iter().enumerate() {
        let path = args.into.join(format!("{stem}-{:02}.yaml", number + 1));
        if path.exists() {
            bail!(
                "{} exists already: remove the files of an earlier import first",
                path.display()
            );
        }
        std::fs::write(&path, &topic.yaml)?;
        left += placeholders(&topic.yaml).len();
        println!(
            "{}: {} entries in 「{}」",
            path.display(),
            topic.entries,
            topic.category
        );
    }
    if left > 0 {
        println!(
            "{left} placeholders of the template are left (○○市, （電話番号）…): fill them in city.yaml{} and import again, or edit the files; `madoguchi check` lists each",
            city_path.map_or_else(String::new, |p| format!(" ({})", p.display()))
        );
    }
    println!(
        "check the result with: madoguchi check {}",
        args.into.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The department ids of a content directory.
fn known_departments(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join(DEPARTMENTS_FILE);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let file: DepartmentFile =
        serde_yaml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    Ok(file.departments.into_iter().map(|d| d.id).collect())
}
