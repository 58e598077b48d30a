//! Embeds every `locales/*.json` string file, so adding a language to the
//! customer pages is adding one file.

use std::fmt::Write;

fn main() {
    let dir = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("locales");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("locales/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = String::from(
        "/// (language, strings as JSON) for every file in `locales/`.\npub static LOCALE_FILES: &[(&str, &str)] = &[\n",
    );
    for path in files {
        let lang = path.file_stem().unwrap().to_str().unwrap().to_owned();
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            out,
            "    ({lang:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    std::fs::write(
        std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("locales.rs"),
        out,
    )
    .unwrap();
}
