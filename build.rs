//! Builds the IPADIC morphological dictionary from the sources vendored in
//! `dictionaries/ipadic/`, so that neither building nor running the program
//! needs a network. The built files are embedded in the binary (see
//! `src/text/dictionary.rs`).

use std::error::Error;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;

const SOURCE_ARCHIVE: &str = "dictionaries/ipadic/mecab-ipadic-2.7.0.tar.zst";
const SOURCE_METADATA: &str = "dictionaries/ipadic/metadata.json";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={SOURCE_ARCHIVE}");
    println!("cargo:rerun-if-changed={SOURCE_METADATA}");
    println!("cargo:rerun-if-changed=build.rs");

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let source_dir = out_dir.join("ipadic-source");
    let built_dir = out_dir.join("ipadic");

    unpack(Path::new(SOURCE_ARCHIVE), &source_dir)?;
    let metadata: Metadata = serde_json::from_slice(&fs::read(SOURCE_METADATA)?)?;
    DictionaryBuilder::new(metadata)
        .build_dictionary(&source_dir, &built_dir)
        .map_err(|err| format!("building IPADIC from {SOURCE_ARCHIVE} failed: {err}"))?;
    fs::remove_dir_all(&source_dir)?;

    // Read by `lindera_dictionary::embedded_dictionary!`.
    println!("cargo:rustc-env=LINDERA_WORKDIR={}", out_dir.display());
    Ok(())
}

fn unpack(archive: &Path, into: &Path) -> Result<(), Box<dyn Error>> {
    if into.exists() {
        fs::remove_dir_all(into)?;
    }
    fs::create_dir_all(into)?;
    let file = File::open(archive).map_err(|err| {
        format!(
            "cannot open {}: {err} (the dictionary sources ship with the repository)",
            archive.display()
        )
    })?;
    tar::Archive::new(zstd::Decoder::new(file)?).unpack(into)?;
    Ok(())
}
