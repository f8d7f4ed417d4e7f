//! `madoguchi check`: the Q&A files and word lists, with file:line errors.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use madoguchi::faq::Content;
use madoguchi::text::Lexicon;

use super::Global;

pub fn run(global: &Global, dir: Option<PathBuf>) -> Result<ExitCode> {
    let settings = global.settings()?;
    let faq = dir.unwrap_or(settings.faq_dir);
    let mut failed = false;
    if let Err(diagnostics) = Lexicon::load(&settings.dictionaries_dir) {
        eprint!("{diagnostics}");
        failed = true;
    }
    match Content::load(&faq) {
        Ok((content, warnings)) => {
            eprint!("{warnings}");
            println!(
                "{}: {} entries in {} categories, {} flows, {} procedures, {} departments, {} LINE rich menus, {} shelters; {} warnings",
                faq.display(),
                content.entries.len(),
                content.categories.len(),
                content.flows.len(),
                content.procedures.len(),
                content.departments.len(),
                content.rich_menus.as_ref().map_or(0, |m| m.menus.len()),
                content.shelters.len(),
                warnings.warnings().count()
            );
        }
        Err(diagnostics) => {
            eprint!("{diagnostics}");
            eprintln!("{} errors", diagnostics.errors().count());
            failed = true;
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
