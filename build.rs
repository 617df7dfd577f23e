//! Embeds the demo mailbox (`fixtures/demo`: its INBOX, Sent and lists, not
//! its notes) in the binary, so `allears run` works wherever the binary is
//! (`src/demo.rs` writes it out). The list of files is generated here
//! because `include_bytes!` takes one literal path at a time.

use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    for top in ["INBOX", "Sent", "lists"] {
        walk(&root.join(top), &mut files);
    }
    files.sort();
    let mut out = String::from(
        "/// The demo mailbox: (path under the mailbox, bytes).\npub(crate) static FILES: &[(&str, &[u8])] = &[\n",
    );
    for f in &files {
        let rel = f.strip_prefix(&root).expect("under the demo folder");
        out.push_str(&format!(
            "    ({:?}, include_bytes!({:?})),\n",
            rel.to_str().expect("a UTF-8 path"),
            f.to_str().expect("a UTF-8 path")
        ));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("demo_files.rs");
    std::fs::write(dest, out).expect("writing demo_files.rs");
}

/// Every file under `dir` but hidden ones (`.gitkeep`).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}
